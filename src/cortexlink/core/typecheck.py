"""Check values read from YAML or JSON against type annotations (graph node settings, decoder
parameters): int, float, bool, str, ``X | None``, ``list[X]``, ``tuple[X, ...]``, ``dict[str, X]``,
``Literal[...]``. An int is accepted where a float is expected; a bool is never an int.
"""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["coerce", "describe_type", "matches"]


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


def matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` (as read from YAML or JSON) fits the annotation ``tp``; nothing is converted."""
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, a) for a in args)
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
        return isinstance(value, list) and (not args or all(matches(v, args[0]) for v in value))
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return not args or all(matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(matches(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return False
        if len(args) == 2:
            return all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())
        return True
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def coerce(value: Any, tp: Any) -> Any:
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
            return tuple(coerce(v, a) for v, a in zip(value, args, strict=True))
        return tuple(coerce(v, args[0]) if args else v for v in value)
    if (origin is list or tp is list) and args and isinstance(value, list):
        return [coerce(v, args[0]) for v in value]
    return value
