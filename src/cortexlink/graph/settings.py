"""Fill a node's ``Settings`` dataclass from a graph file's ``parameters``, checking names and types.

Graph files are user input: every parameter must be a field of the dataclass, every field without
a default must be given, and every value must match the field's annotation (int, float, bool, str,
``X | None``, ``list[X]``, ``tuple[X, ...]``, ``dict[str, X]``, ``Literal[...]``). An int is accepted
where a float is expected; nothing else is converted. A field declared with ``graph_path()`` holds
a file or folder path: in a graph file it is relative to that file (see ``plan.plan_graph``).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from cortexlink.core.errors import GraphError
from cortexlink.core.typecheck import coerce as _coerce
from cortexlink.core.typecheck import describe_type
from cortexlink.core.typecheck import matches as _matches

__all__ = ["build_settings", "check_settings", "describe_type", "graph_path", "is_graph_path", "GRAPH_PATH"]

_MISSING = dataclasses.MISSING
GRAPH_PATH = "graph_path"  # field metadata key of path settings


def graph_path(default: Any = _MISSING) -> Any:
    """A Settings field holding a path; a relative one in a graph file is relative to the graph file."""
    return dataclasses.field(default=default, metadata={GRAPH_PATH: True})


def is_graph_path(field: dataclasses.Field) -> bool:
    return bool(field.metadata.get(GRAPH_PATH))


Problem = tuple[str | None, str]


def check_settings(settings_cls: type, parameters: dict[str, Any]) -> tuple[Any, list[Problem]]:
    """``(settings or None, problems)``; each problem is ``(parameter name or None, message)``."""
    if not dataclasses.is_dataclass(settings_cls):
        return None, [(None, f"Settings {settings_cls!r} is not a dataclass; declare it with @dataclass")]
    try:
        hints = typing.get_type_hints(settings_cls)
    except Exception as exc:  # an annotation that names something undefined
        return None, [(None, f"cannot read the annotations of {settings_cls.__qualname__}: {exc}")]
    fields = {f.name: f for f in dataclasses.fields(settings_cls) if f.init}
    problems: list[Problem] = []
    for key in parameters:
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            problems.append((key, f"unknown parameter {key!r} (known parameters: {known})"))
    for name, field in fields.items():
        if name not in parameters:
            if field.default is _MISSING and field.default_factory is _MISSING:
                problems.append((None, f"missing parameter {name!r} ({describe_type(hints.get(name, Any))})"))
            continue
        value = parameters[name]
        expected = hints.get(name, Any)
        if not _matches(value, expected):
            problems.append((name, f"parameter {name!r} must be {describe_type(expected)}, "
                                   f"got {type(value).__name__} {value!r}"))
    if problems:
        return None, problems
    values = {k: _coerce(v, hints.get(k, Any)) for k, v in parameters.items()}
    try:
        return settings_cls(**values), []
    except Exception as exc:  # __post_init__ checks of the node's own
        return None, [(None, f"invalid parameters: {exc}")]


def build_settings(settings_cls: type, parameters: dict[str, Any], owner: str = "node") -> Any:
    """The filled ``Settings``, or a GraphError listing every problem."""
    settings, problems = check_settings(settings_cls, parameters)
    if problems:
        raise GraphError(f"{owner}: " + "; ".join(msg for _, msg in problems))
    return settings
