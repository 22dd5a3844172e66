"""Graph files (YAML, BRAND's shape): ``metadata`` and ``nodes``, read into ``GraphFile``.

This module checks the file's *structure* (keys, their types, duplicate nicknames) and keeps the
line of everything so later checks (``graph.validate``) can name it. Unknown keys are errors: a
typo must not silently fall back to a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortexlink.core.errors import GraphError, RecordingNotFoundError
from cortexlink.graph.yamlsrc import LocatedDict, LocatedList, load_located

__all__ = ["GraphFile", "NodeEntry", "read_graph_file", "parse_graph", "graph_relative", "RESTART_POLICIES"]

RESTART_POLICIES = ("stop", "restart")
NODE_KEYS = ("name", "nickname", "module", "parameters", "inputs", "outputs", "feedback", "machine",
             "cpu_affinity", "run_priority", "restart", "heartbeat_timeout", "threads")
TOP_KEYS = ("metadata", "nodes")
_NICKNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
MAX_FILE_BYTES = 1 << 20


@dataclass
class NodeEntry:
    """One node of a graph file, with the line of each of its keys."""

    name: str
    nickname: str
    line: int
    module: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    machine: str | None = None
    cpu_affinity: list[int] | None = None
    run_priority: int | None = None
    restart: str = "stop"
    heartbeat_timeout: float = 10.0
    threads: int = 1
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str, sub: str | None = None) -> int:
        """Line of ``key`` (or of ``key.sub`` inside a mapping such as parameters)."""
        if sub is not None:
            return self.lines.get(f"{key}.{sub}", self.lines.get(key, self.line))
        return self.lines.get(key, self.line)


@dataclass
class GraphFile:
    """A parsed graph file: where it came from, its metadata and its nodes."""

    source: str
    metadata: dict[str, Any]
    nodes: list[NodeEntry]
    base_dir: Path

    def where(self, line: int) -> str:
        return f"{self.source}:{line}"


def graph_relative(path: str, base_dir: Path) -> Path:
    """The one rule for paths inside a graph file (``module:``, path parameters): ``~`` expands, and
    a relative path is relative to the graph file's folder, whatever the current directory."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else base_dir / p


def read_graph_file(path: str | Path) -> GraphFile:
    """Read and structurally check the graph file at ``path``."""
    p = Path(path)
    if not p.is_file():
        raise RecordingNotFoundError(f"graph file {str(p)!r} does not exist; give the path of a YAML graph")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise GraphError(f"{p}: {size} bytes is too large for a graph file (limit {MAX_FILE_BYTES})")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise GraphError(f"{p}: not a UTF-8 text file; a graph file is YAML") from None
    return parse_graph(text, source=str(p), base_dir=p.resolve().parent)


def parse_graph(text: str, source: str = "<graph>", base_dir: Path | None = None) -> GraphFile:
    """Parse graph YAML text; every structural problem is listed in one GraphError."""
    doc = load_located(text, source)
    problems: list[str] = []

    def bad(line: int, msg: str) -> None:
        problems.append(f"{source}:{line}: {msg}")

    if not isinstance(doc, LocatedDict):
        raise GraphError(f"{source}:1: a graph file is a mapping with 'metadata' and 'nodes'")
    for key in doc:
        if key not in TOP_KEYS:
            bad(doc.key_line(key), f"unknown top-level key {key!r} (expected: {', '.join(TOP_KEYS)})")
    metadata = doc.get("metadata") or {}
    if not isinstance(metadata, dict):
        bad(doc.key_line("metadata"), "'metadata' must be a mapping")
        metadata = {}
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, LocatedList) or not raw_nodes:
        bad(doc.key_line("nodes") if "nodes" in doc else 1, "'nodes' must be a non-empty list of nodes")
        raw_nodes = LocatedList()
    nodes: list[NodeEntry] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_nodes):
        line = raw_nodes.item_line(i)
        entry = _parse_node(raw, line, source, bad)
        if entry is None:
            continue
        if entry.nickname in seen:
            bad(entry.line_of("nickname"),
                f"duplicate nickname {entry.nickname!r} (first used on line {seen[entry.nickname]}); "
                "nicknames name processes and streams and must be unique")
            continue
        seen[entry.nickname] = entry.line_of("nickname")
        nodes.append(entry)
    if problems:
        raise GraphError("; ".join(problems))
    return GraphFile(source, dict(metadata), nodes, base_dir or Path.cwd())


def _parse_node(raw: Any, line: int, source: str, bad: Any) -> NodeEntry | None:
    if not isinstance(raw, LocatedDict):
        bad(line, "each node is a mapping with at least 'name' and 'nickname'")
        return None
    ok = True
    for key in raw:
        if key not in NODE_KEYS:
            bad(raw.key_line(key), f"unknown node key {key!r} (expected: {', '.join(NODE_KEYS)})")
            ok = False
    for key in ("name", "nickname"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            bad(raw.key_line(key), f"node needs '{key}' as a non-empty string")
            ok = False
    if not ok:
        return None
    entry = NodeEntry(name=raw["name"], nickname=raw["nickname"], line=line)
    entry.lines = {k: raw.key_line(k) for k in raw}
    if not _NICKNAME.match(entry.nickname):
        bad(entry.line_of("nickname"), f"nickname {entry.nickname!r} must be letters, digits, '_' or '-' "
                                       "(at most 64, not starting with a digit)")
        ok = False
    for key in ("parameters", "inputs", "outputs", "feedback"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, LocatedDict):
            bad(entry.line_of(key), f"node {entry.nickname!r}: '{key}' must be a mapping")
            ok = False
            continue
        for sub in value:
            entry.lines[f"{key}.{sub}"] = value.key_line(sub)
        if key != "parameters":
            for port, stream in value.items():
                if not isinstance(port, str) or not isinstance(stream, str) or not stream:
                    bad(value.key_line(port), f"node {entry.nickname!r}: {key} maps a port name to a stream "
                                              f"name, got {port!r}: {stream!r}")
                    ok = False
        setattr(entry, key, {k: _plain(v) for k, v in value.items()})
    module = raw.get("module")
    if module is not None and (not isinstance(module, str) or not module):
        bad(entry.line_of("module"),
            f"node {entry.nickname!r}: 'module' must be a file path or dotted module")
        ok = False
    entry.module = module
    machine = raw.get("machine")
    if machine is not None and not isinstance(machine, str):
        bad(entry.line_of("machine"), f"node {entry.nickname!r}: 'machine' must be a host name")
        ok = False
    entry.machine = machine
    affinity = raw.get("cpu_affinity")
    if affinity is not None:
        if isinstance(affinity, int) and not isinstance(affinity, bool):
            affinity = [affinity]
        if not isinstance(affinity, list) or not affinity or not all(
                isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in affinity):
            bad(entry.line_of("cpu_affinity"), f"node {entry.nickname!r}: 'cpu_affinity' must be a list of "
                                               "CPU numbers (>= 0)")
            ok = False
        else:
            entry.cpu_affinity = list(affinity)
    priority = raw.get("run_priority")
    if priority is not None:
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 99:
            bad(entry.line_of("run_priority"), f"node {entry.nickname!r}: 'run_priority' must be an "
                                               "integer 1..99 (SCHED_FIFO priority)")
            ok = False
        else:
            entry.run_priority = priority
    restart = raw.get("restart", "stop")
    if restart not in RESTART_POLICIES:
        bad(entry.line_of("restart"), f"node {entry.nickname!r}: 'restart' must be one of "
                                      f"{', '.join(RESTART_POLICIES)}, got {restart!r}")
        ok = False
    entry.restart = restart
    hb = raw.get("heartbeat_timeout", 10.0)
    if not isinstance(hb, (int, float)) or isinstance(hb, bool) or not 0.2 <= hb <= 3600:
        bad(entry.line_of("heartbeat_timeout"), f"node {entry.nickname!r}: 'heartbeat_timeout' must be "
                                                "seconds between 0.2 and 3600")
        ok = False
    else:
        entry.heartbeat_timeout = float(hb)
    threads = raw.get("threads", 1)
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 256:
        bad(entry.line_of("threads"), f"node {entry.nickname!r}: 'threads' must be an integer 1..256")
        ok = False
    else:
        entry.threads = threads
    return entry if ok else None


def _plain(value: Any) -> Any:
    """Located containers back to plain dict/list (settings must not see our subclasses)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
