"""Validate a graph file and turn it into a ``GraphPlan``: everything a run needs, checked first.

Checks, each naming the line: node kinds exist (built-in registry or a user's module), ports
exist, every driving input is connected, parameters fill the node's Settings (names and types),
every stream read is written by exactly one node, driving inputs form no cycle (feedback inputs
may close loops), and every node's ``describe_outputs`` accepts its input streams.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortexlink.core.errors import CortexlinkError, GraphError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.graphfile import GraphFile, NodeEntry, graph_relative, read_graph_file
from cortexlink.graph.loading import class_ref, load_class
from cortexlink.graph.node import Node, SourceNode, renamed
from cortexlink.graph.settings import check_settings, is_graph_path

__all__ = ["NodePlan", "GraphPlan", "plan_graph", "load_plan"]

_STREAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")


@dataclass(frozen=True)
class NodePlan:
    """One node, resolved: its class reference, parameters and the specs of its streams."""

    nickname: str
    kind: str
    class_ref: str
    parameters: dict[str, Any]
    inputs: dict[str, StreamSpec]
    feedback: dict[str, StreamSpec]
    outputs: dict[str, StreamSpec]
    is_source: bool
    restart: str = "stop"
    heartbeat_timeout: float = 10.0
    threads: int = 1
    cpu_affinity: tuple[int, ...] | None = None
    run_priority: int | None = None
    machine: str | None = None
    line: int = 0


@dataclass
class GraphPlan:
    """A validated graph: nodes in dependency order and every stream's spec and readers."""

    source: str
    metadata: dict[str, Any]
    nodes: list[NodePlan]
    streams: dict[str, StreamSpec]
    readers: dict[str, list[str]] = field(default_factory=dict)

    def node(self, nickname: str) -> NodePlan:
        for n in self.nodes:
            if n.nickname == nickname:
                return n
        raise KeyError(nickname)

    def sinks(self) -> list[str]:
        """Nicknames of nodes whose outputs no node reads through a driving input."""
        driven = {s.name for n in self.nodes for s in n.inputs.values()}
        return [n.nickname for n in self.nodes if not any(s.name in driven for s in n.outputs.values())]


def load_plan(path: str | Path, registry: dict[str, str] | None = None) -> GraphPlan:
    """Read, validate and plan the graph file at ``path``."""
    return plan_graph(read_graph_file(path), registry or {})


def plan_graph(graph: GraphFile, registry: dict[str, str]) -> GraphPlan:
    """Validate ``graph`` against the node classes; every problem found is listed in one GraphError."""
    problems: list[str] = []
    classes: dict[str, type] = {}
    settings: dict[str, Any] = {}
    refs: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}

    def bad(line: int, msg: str) -> None:
        problems.append(f"{graph.where(line)}: {msg}")

    for entry in graph.nodes:
        cls, ref = _resolve(entry, graph, registry, bad)
        if cls is None:
            continue
        classes[entry.nickname], refs[entry.nickname] = cls, ref
        _check_ports(entry, cls, bad)
        params[entry.nickname] = _resolve_paths(cls.Settings, entry.parameters, graph.base_dir)
        value, issues = check_settings(cls.Settings, params[entry.nickname])
        for key, msg in issues:
            line = entry.line_of("parameters", key) if key else entry.line_of("parameters")
            bad(line, f"node {entry.nickname!r} ({entry.name}): {msg}")
        if value is not None:
            settings[entry.nickname] = value

    outputs = {e.nickname: _output_streams(e, classes.get(e.nickname)) for e in graph.nodes}
    writers: dict[str, tuple[str, int]] = {}
    for entry in graph.nodes:
        for port, stream in outputs[entry.nickname].items():
            line = entry.line_of("outputs", port)
            if not _STREAM.match(stream):
                bad(line, f"stream name {stream!r} must be letters, digits, '_', '-' or '.'")
            if stream in writers:
                bad(line, f"stream {stream!r} is written by both {writers[stream][0]!r} (line "
                          f"{writers[stream][1]}) and {entry.nickname!r}; a stream has one writer")
            else:
                writers[stream] = (entry.nickname, line)
    external = _external_streams(graph, classes, settings, writers, bad)
    for entry in graph.nodes:
        for key in ("inputs", "feedback"):
            for port, stream in getattr(entry, key).items():
                if stream not in writers:
                    hint = _external_hint(stream, external, outputs) or _close(stream, writers)
                    bad(entry.line_of(key, port), f"node {entry.nickname!r} reads stream {stream!r} on "
                                                  f"{key[:-1] if key == 'inputs' else key} port {port!r} but "
                                                  f"no node writes it{hint}")
    order = _topological(graph, writers, bad)
    if problems:
        raise GraphError("; ".join(problems))

    specs: dict[str, StreamSpec] = {}
    plans: dict[str, NodePlan] = {}
    by_nick = {e.nickname: e for e in graph.nodes}
    for nick in order:
        entry, cls = by_nick[nick], classes[nick]
        in_specs = {port: specs[stream] for port, stream in entry.inputs.items()}
        try:
            described = cls.describe_outputs(settings[nick], dict(in_specs))
        except CortexlinkError as exc:
            raise GraphError(f"{graph.where(entry.line)}: node {nick!r} ({entry.name}): {exc}") from None
        except Exception as exc:
            raise GraphError(f"{graph.where(entry.line)}: node {nick!r} ({entry.name}): describe_outputs "
                             f"failed: {type(exc).__name__}: {exc}") from None
        out_specs: dict[str, StreamSpec] = {}
        for port, stream in outputs[nick].items():
            spec = described.get(port) if isinstance(described, dict) else None
            if not isinstance(spec, StreamSpec):
                raise GraphError(f"{graph.where(entry.line)}: node {nick!r} ({entry.name}): describe_outputs "
                                 f"gave no StreamSpec for output port {port!r}")
            out_specs[port] = specs[stream] = renamed(spec, stream)
        plans[nick] = NodePlan(
            nickname=nick, kind=entry.name, class_ref=refs[nick], parameters=params[nick],
            inputs=in_specs, feedback={}, outputs=out_specs, is_source=issubclass(cls, SourceNode),
            restart=entry.restart, heartbeat_timeout=entry.heartbeat_timeout, threads=entry.threads,
            cpu_affinity=tuple(entry.cpu_affinity) if entry.cpu_affinity else None,
            run_priority=entry.run_priority, machine=entry.machine, line=entry.line,
        )
    readers: dict[str, list[str]] = {s: [] for s in specs}
    for nick in order:
        entry = by_nick[nick]
        fb = {port: specs[stream] for port, stream in entry.feedback.items()}
        plans[nick] = _with_feedback(plans[nick], fb)
        for stream in [*entry.inputs.values(), *entry.feedback.values()]:
            readers[stream].append(nick)
    return GraphPlan(graph.source, graph.metadata, [plans[n] for n in order], specs, readers)


def _external_streams(graph: GraphFile, classes: dict[str, type], settings: dict[str, Any],
                      writers: dict[str, tuple[str, int]], bad: Any) -> dict[str, str]:
    """``stream -> nickname`` of the Redis streams outside the graph that nodes declare (BRAND
    nodes' streams, through redis_stream_in/out); one that is also a graph stream is an error."""
    found: dict[str, str] = {}
    for entry in graph.nodes:
        if entry.nickname not in settings:
            continue
        for stream in classes[entry.nickname].external_streams(settings[entry.nickname]):
            if stream in writers:
                bad(entry.line_of("parameters", "stream"),
                    f"node {entry.nickname!r} uses {stream!r} as a stream outside the graph, but node "
                    f"{writers[stream][0]!r} writes a graph stream of that name; rename one of them")
            found.setdefault(stream, entry.nickname)
    return found


def _external_hint(stream: str, external: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    if stream in external:
        nick = external[stream]
        mine = ", ".join(outputs.get(nick, {}).values())
        return (f" inside the graph; it is the outside stream of node {nick!r}" +
                (f": read that node's output {mine!r} instead" if mine else ""))
    return ""


def _resolve_paths(settings_cls: type, parameters: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """``parameters`` with each path setting (``graph_path()`` fields) made relative to the graph file."""
    import dataclasses

    if not dataclasses.is_dataclass(settings_cls):
        return dict(parameters)
    out = dict(parameters)
    for f in dataclasses.fields(settings_cls):
        value = out.get(f.name)
        if is_graph_path(f) and isinstance(value, str) and value:
            out[f.name] = str(graph_relative(value, base_dir))
    return out


def _with_feedback(plan: NodePlan, feedback: dict[str, StreamSpec]) -> NodePlan:
    from dataclasses import replace

    return replace(plan, feedback=feedback)


def _resolve(entry: NodeEntry, graph: GraphFile, registry: dict[str, str],
             bad: Any) -> tuple[type | None, str]:
    if entry.module:
        ref = class_ref(entry.module, entry.name, graph.base_dir)
    elif entry.name in registry:
        ref = registry[entry.name]
    else:
        hint = difflib.get_close_matches(entry.name, list(registry), n=1)
        known = ", ".join(sorted(registry)) or "none registered"
        bad(entry.line_of("name"), f"node {entry.nickname!r}: unknown node kind {entry.name!r}"
                                   + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                   + f"; built-in kinds: {known}; or add 'module:' with the file that "
                                     "defines it")
        return None, ""
    try:
        cls = load_class(ref)
    except GraphError as exc:
        bad(entry.line_of("module" if entry.module else "name"), f"node {entry.nickname!r}: {exc}")
        return None, ""
    if not issubclass(cls, Node):
        bad(entry.line_of("name"), f"node {entry.nickname!r}: {ref} is not a cortexlink.graph.Node subclass")
        return None, ""
    return cls, ref


def _check_ports(entry: NodeEntry, cls: type, bad: Any) -> None:
    kinds = (("inputs", tuple(cls.inputs)), ("feedback", tuple(cls.feedback_inputs)),
             ("outputs", tuple(cls.outputs)))
    for key, ports in kinds:
        for port in getattr(entry, key):
            if port not in ports and not _matches_family(port, ports):
                bad(entry.line_of(key, port), f"node {entry.nickname!r} ({entry.name}) has no {key} port "
                                              f"{port!r} (its {key} ports: {', '.join(ports) or 'none'})")
    for port in cls.inputs:
        if port.endswith("*"):   # a family of ports (site0, site1, ...): at least one
            if not any(_matches_family(p, (port,)) for p in entry.inputs):
                bad(entry.line_of("inputs"), f"node {entry.nickname!r} ({entry.name}): connect at least one "
                                             f"input port {port[:-1]}0, {port[:-1]}1, ...")
            continue
        if port not in entry.inputs:
            bad(entry.line_of("inputs"), f"node {entry.nickname!r} ({entry.name}): driving input port "
                                         f"{port!r} is not connected; add it under 'inputs:'")


def _matches_family(port: str, ports: tuple[str, ...]) -> bool:
    """``port`` is ``prefix`` + digits for a declared family ``prefix*`` (a variable number of inputs)."""
    return any(p.endswith("*") and port.startswith(p[:-1]) and port[len(p) - 1:].isdigit() for p in ports)


def _output_streams(entry: NodeEntry, cls: type | None) -> dict[str, str]:
    if cls is None:
        return dict(entry.outputs)
    ports = tuple(cls.outputs)
    default = {p: entry.nickname if len(ports) == 1 else f"{entry.nickname}_{p}" for p in ports}
    default.update({p: s for p, s in entry.outputs.items() if p in ports})
    return default


def _topological(graph: GraphFile, writers: dict[str, tuple[str, int]], bad: Any) -> list[str]:
    """Nodes ordered so writers come before readers; a cycle of driving inputs is reported."""
    deps = {e.nickname: [writers[s][0] for s in e.inputs.values() if s in writers] for e in graph.nodes}
    by_nick = {e.nickname: e for e in graph.nodes}
    state: dict[str, int] = {}
    order: list[str] = []
    stack: list[str] = []

    def visit(n: str) -> bool:
        state[n] = 1
        stack.append(n)
        for d in deps[n]:
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                entry = by_nick[n]
                port = next(p for p, s in entry.inputs.items() if writers.get(s, ("",))[0] == d)
                bad(entry.line_of("inputs", port),
                    "cycle among driving inputs: " + " -> ".join(reversed(cycle))
                    + "; make one of them a 'feedback:' input (read as latest value) to close a loop")
                return False
            if state.get(d) is None and not visit(d):
                return False
        stack.pop()
        state[n] = 2
        order.append(n)
        return True

    for e in graph.nodes:
        if state.get(e.nickname) is None and not visit(e.nickname):
            break
    return order


def _close(name: str, options: dict[str, Any]) -> str:
    hint = difflib.get_close_matches(name, list(options), n=1)
    near = f" (did you mean {hint[0]!r}?)" if hint else f" (streams written: {', '.join(sorted(options))})"
    return near + "; a stream written outside the graph (e.g. by a BRAND node) is read through a " \
                  "redis_stream_in node"
