"""Graph files (YAML, BRAND's shape): ``metadata`` and ``nodes``, read into ``GraphFile``.

This module checks the file's *structure* (keys, their types, duplicate nicknames) and keeps the
line of everything so later checks (``graph.validate``) can name it. Unknown keys are errors: a
typo must not silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortexlink.core.errors import GraphError, RecordingNotFoundError
from cortexlink.graph.yamlsrc import LocatedDict, LocatedList, load_located

__all__ = ["GraphFile", "NodeEntry", "read_graph_file", "parse_graph", "graph_relative", "RESTART_POLICIES"]

RESTART_POLICIES = ("stop", "restart")
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


class _Bad(ValueError):
    """A node key's value is wrong; the message completes "'key' ..."."""


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Bad("must be a non-empty string")
    return value


def _nickname(value: Any) -> str:
    if not _NICKNAME.match(_text(value)):
        raise _Bad(f"must be letters, digits, '_' or '-' (at most 64, not starting with a digit), "
                   f"got {value!r}")
    return value


def _integer(low: int, high: int, what: str = "") -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _Bad(f"must be an integer {low}..{high}{what}")
        return value
    return check


def _seconds(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise _Bad(f"must be seconds between {low:g} and {high:g}")
        return float(value)
    return check


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Bad(f"must be one of {', '.join(options)}, got {value!r}")
        return value
    return check


def _cpus(value: Any) -> list[int]:
    cpus = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(cpus, list) or not cpus or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in cpus):
        raise _Bad("must be a list of CPU numbers (>= 0)")
    return list(cpus)


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, LocatedDict):
        raise _Bad("must be a mapping")
    return {k: _plain(v) for k, v in value.items()}


def _ports(value: Any) -> dict[str, str]:
    ports = _mapping(value)
    for port, stream in ports.items():
        if not isinstance(port, str) or not isinstance(stream, str) or not stream:
            raise _Bad(f"maps a port name to a stream name, got {port!r}: {stream!r}", port)
    return ports


@dataclass(frozen=True)
class _Key:
    """One key a node may have: how its value is checked and converted, and what it is."""

    check: Callable[[Any], Any]
    help: str
    required: bool = False
    per_entry_lines: bool = False   # a mapping whose entries get their own lines (parameters, ports)


NODE_FIELDS: dict[str, _Key] = {
    "name": _Key(_text, "node kind: a built-in kind or a class in 'module'", required=True),
    "nickname": _Key(_nickname, "unique name of this node's process and default stream name", required=True),
    "module": _Key(_text, "file (relative to the graph file) or dotted module defining 'name'"),
    "parameters": _Key(_mapping, "the node kind's settings", per_entry_lines=True),
    "inputs": _Key(_ports, "driving input port -> stream", per_entry_lines=True),
    "outputs": _Key(_ports, "output port -> stream (default: nickname, or nickname_port)",
                    per_entry_lines=True),
    "feedback": _Key(_ports, "feedback input port -> stream, read as latest value", per_entry_lines=True),
    "machine": _Key(_text, "host that runs this node (through its 'cortexlink agent')"),
    "cpu_affinity": _Key(_cpus, "CPUs the node's process may run on"),
    "run_priority": _Key(_integer(1, 99, " (SCHED_FIFO priority)"), "real-time priority"),
    "restart": _Key(_one_of(RESTART_POLICIES), "what a dead node does to the graph"),
    "heartbeat_timeout": _Key(_seconds(0.2, 3600), "seconds without a heartbeat before it is killed"),
    "threads": _Key(_integer(1, 256), "intra-op threads of the node's libraries"),
}
NODE_KEYS = tuple(NODE_FIELDS)


def _parse_node(raw: Any, line: int, source: str, bad: Any) -> NodeEntry | None:
    """A node mapping checked key by key against ``NODE_FIELDS``; every problem goes to ``bad``."""
    if not isinstance(raw, LocatedDict):
        bad(line, "each node is a mapping with at least 'name' and 'nickname'")
        return None
    nick = raw.get("nickname")
    who = f"node {nick!r}: " if isinstance(nick, str) and nick else "node "
    values: dict[str, Any] = {}
    lines = {k: raw.key_line(k) for k in raw}
    ok = True
    for key, spec in NODE_FIELDS.items():
        if key not in raw:
            if spec.required:
                bad(line, f"node needs '{key}' as a non-empty string")
                ok = False
            continue
        value = raw[key]
        if spec.per_entry_lines and isinstance(value, LocatedDict):
            lines.update({f"{key}.{sub}": value.key_line(sub) for sub in value})
        try:
            values[key] = spec.check(value)
        except _Bad as exc:
            at = exc.args[1] if len(exc.args) > 1 else None
            where = value.key_line(at) if at is not None and isinstance(value, LocatedDict) else lines[key]
            bad(where, f"{who}'{key}' {exc.args[0]}")
            ok = False
    for key in raw:
        if key not in NODE_FIELDS:
            bad(raw.key_line(key), f"unknown node key {key!r} (expected: {', '.join(NODE_KEYS)})")
            ok = False
    if not ok:
        return None
    return NodeEntry(line=line, lines=lines, **values)


def _plain(value: Any) -> Any:
    """Located containers back to plain dict/list (settings must not see our subclasses)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
