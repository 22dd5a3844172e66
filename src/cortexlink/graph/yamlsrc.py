"""Load YAML keeping the line of every key and item, so graph errors can name the line.

``load_located(text)`` returns plain values where mappings are ``LocatedDict`` and sequences
``LocatedList``: ordinary ``dict``/``list`` with ``.line`` (1-based, where the node starts) and
``.key_line(key)`` / ``.item_line(i)``. Duplicate keys, which PyYAML would silently merge, are errors.
Only the safe YAML subset is read (no Python object tags).
"""

from __future__ import annotations

from typing import Any

import yaml

from cortexlink.core.errors import GraphError

__all__ = ["LocatedDict", "LocatedList", "load_located"]


class LocatedDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}

    def key_line(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LocatedList(list):
    """A sequence that remembers the line of itself and of each item."""

    line: int = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []

    def item_line(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


def load_located(text: str, source: str = "<graph>") -> Any:
    """Parse one YAML document into located plain values (None for an empty document)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _convert(root, loader, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        context = ""
        if exc.context and exc.context_mark is not None:
            context = f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise GraphError(f"{where}: not valid YAML: {exc.problem or exc}{context}") from None
    except yaml.YAMLError as exc:
        raise GraphError(f"{source}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _convert(node: yaml.Node, loader: yaml.SafeLoader, source: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # merge keys (<<)
        out = LocatedDict()
        out.line = line
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, source)
            if isinstance(key, (dict, list)):
                raise GraphError(f"{source}:{key_node.start_mark.line + 1}: "
                                 "a mapping key must be a plain value")
            if key in out:
                raise GraphError(
                    f"{source}:{key_node.start_mark.line + 1}: key {key!r} appears twice in the mapping "
                    f"that starts on line {line}; keep one"
                )
            out[key] = _convert(value_node, loader, source)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LocatedList()
        seq.line = line
        for item in node.value:
            seq.append(_convert(item, loader, source))
            seq.lines.append(item.start_mark.line + 1)
        return seq
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise GraphError(f"{source}:{line}: cannot read value: {exc.problem}") from None
