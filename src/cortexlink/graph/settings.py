"""Fill a node's ``Settings`` dataclass from a graph file's ``parameters``, checking names and types.

Graph files are user input: every parameter must be a field of the dataclass, every field without
a default must be given, and every value must match the field's annotation (int, float, bool, str,
``X | None``, ``list[X]``, ``tuple[X, ...]``, ``dict[str, X]``, ``Literal[...]``). An int is accepted
where a float is expected; nothing else is converted. A field declared with ``graph_path()`` holds
a file or folder path: in a graph file it is relative to that file (see ``plan.plan_graph``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from cortexlink.core.errors import GraphError

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


def describe_type(tp: Any) -> str:
    """A short human name of a type annotation ("a float", "a list of int", ...)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return "any value"
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else describe_type(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple):
        inner = describe_type(args[0]) if args else "any value"
        return f"a list of {inner.removeprefix('a ').removeprefix('an ')}"
    if origin is dict or tp is dict:
        return "a mapping"
    name = getattr(tp, "__name__", str(tp))
    return ("an " if name[:1] in "aeiou" else "a ") + name


def _matches(value: Any, tp: Any) -> bool:
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if tp is type(None):
        return value is None
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin in (list, set, frozenset) or tp in (list, set, frozenset):
        return isinstance(value, list) and (not args or all(_matches(v, args[0]) for v in value))
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return not args or all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return False
        if len(args) == 2:
            return all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
        return True
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def _coerce(value: Any, tp: Any) -> Any:
    """Int to float where a float is declared, lists to tuples where a tuple is declared."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is float and isinstance(value, int):
        return float(value)
    if origin in (typing.Union, types.UnionType):
        if isinstance(value, int) and not isinstance(value, bool) and float in args and int not in args:
            return float(value)
        return value
    if (origin is tuple or tp is tuple) and isinstance(value, list):
        if args and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
        return tuple(_coerce(v, args[0]) if args else v for v in value)
    if (origin is list or tp is list) and args and isinstance(value, list):
        return [_coerce(v, args[0]) for v in value]
    return value
