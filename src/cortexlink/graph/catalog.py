"""What a node kind takes and gives, read from its class: settings (name, type, default, help) and
streams. ``cortexlink nodes`` prints it and ``docs/nodes.md`` is rendered from it, so neither can
drift from the code.

A setting's help is its field's ``metadata["help"]``, else the comment after it in the ``Settings``
class (``rate: float = 1000.0   # samples per second``).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from cortexlink.graph.settings import is_graph_path

__all__ = ["SettingDoc", "NodeDoc", "describe_node", "type_name", "render_markdown", "NODE_KEYS_TITLE"]

_TRAILING = re.compile(r"^\s*(\w+)\s*:[^#]*#\s*(.+?)\s*$")
NODE_KEYS_TITLE = "Keys of every node"


@dataclass(frozen=True)
class SettingDoc:
    """One parameter of a node kind."""

    name: str
    type: str
    default: str          # "required" when the graph file must give it
    help: str = ""


@dataclass(frozen=True)
class NodeDoc:
    """A node kind as a graph file's author sees it."""

    kind: str
    summary: str
    inputs: tuple[str, ...]
    feedback: tuple[str, ...]
    outputs: tuple[str, ...]
    settings: tuple[SettingDoc, ...]
    source: bool

    def streams(self) -> str:
        parts = [f"inputs: {', '.join(self.inputs) or '-'}"]
        if self.feedback:
            parts.append(f"feedback: {', '.join(self.feedback)}")
        parts.append(f"outputs: {', '.join(self.outputs) or '-'}")
        return "; ".join(parts)


def describe_node(kind: str, cls: type) -> NodeDoc:
    """The ``NodeDoc`` of node class ``cls`` registered as ``kind``."""
    from cortexlink.graph.node import SourceNode

    doc = inspect.getdoc(cls) or ""
    summary = " ".join(doc.split("\n\n")[0].split())
    return NodeDoc(kind, summary, tuple(cls.inputs), tuple(cls.feedback_inputs), tuple(cls.outputs),
                   tuple(_settings(cls.Settings)), issubclass(cls, SourceNode))


def _settings(settings_cls: type) -> list[SettingDoc]:
    if not dataclasses.is_dataclass(settings_cls):
        return []
    hints = typing.get_type_hints(settings_cls)
    comments = _comments(settings_cls)
    out = []
    for f in dataclasses.fields(settings_cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "required"
        help_ = str(f.metadata.get("help") or comments.get(f.name, ""))
        if is_graph_path(f) and "relative to the graph file" not in help_:
            help_ = f"{help_}; relative to the graph file" if help_ else "a path, relative to the graph file"
        out.append(SettingDoc(f.name, type_name(hints.get(f.name, Any)), default, help_))
    return out


def _comments(settings_cls: type) -> dict[str, str]:
    """``field -> trailing comment`` from the source of the class and the classes it extends."""
    found: dict[str, str] = {}
    for klass in reversed(settings_cls.__mro__):
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        for line in lines:
            m = _TRAILING.match(line)
            if m:
                found[m.group(1)] = m.group(2)
    return found


def type_name(tp: Any) -> str:
    """An annotation as it reads in Python (``float | None``, ``list[int]``, ``'a' | 'b'``)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return "Any"
    if tp is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(tp, "__name__", str(tp))


def render_markdown(nodes: list[NodeDoc], node_keys: dict[str, str], intro: str = "") -> str:
    """The node reference page: the keys every node takes, then each kind's streams and settings."""
    out = ["# Node kinds", ""]
    if intro:
        out += [intro, ""]
    out += [f"## {NODE_KEYS_TITLE}", "", "| key | what it is |", "|---|---|"]
    out += [f"| `{key}` | {_cell(text)} |" for key, text in node_keys.items()]
    for node in nodes:
        out += ["", f"## `{node.kind}`", ""]
        if node.summary:
            out += [node.summary, ""]
        out += [("Source. " if node.source else "") + _md_streams(node), ""]
        if not node.settings:
            out.append("No settings.")
            continue
        out += ["| setting | type | default | help |", "|---|---|---|---|"]
        out += [f"| `{s.name}` | `{_cell(s.type)}` | `{_cell(s.default)}` | {_cell(s.help)} |"
                for s in node.settings]
    return "\n".join(out) + "\n"


def _md_streams(node: NodeDoc) -> str:
    def ports(names: tuple[str, ...]) -> str:
        return ", ".join(f"`{p}`" for p in names) or "none"

    parts = [f"Inputs: {ports(node.inputs)}."]
    if node.feedback:
        parts.append(f"Feedback: {ports(node.feedback)}.")
    parts.append(f"Outputs: {ports(node.outputs)}.")
    return " ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
