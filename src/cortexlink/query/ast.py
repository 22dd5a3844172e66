"""The query's syntax tree: frozen dataclasses that compare equal when the queries mean the same.

Positions (line, column in the query text) ride along for error messages and take no part in
equality, so a query and its ``unparse`` round trip parse to equal trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Pos = tuple[int, int]


@dataclass(frozen=True)
class Time:
    """``t + offset`` (``bound``) or ``offset`` ms relative to now."""

    offset: float
    bound: bool = False


@dataclass(frozen=True)
class Channels:
    """Channel selection: ``None`` for all (``:``), else single channels and half-open ranges;
    ``matched`` (select only): the channels on which ``where`` held for that row."""

    items: tuple[int | tuple[int, int], ...] | None = None
    matched: bool = False

    def indices(self, n_channels: int) -> list[int]:
        if self.items is None:
            return list(range(n_channels))
        out: list[int] = []
        for it in self.items:
            out += list(range(it[0], it[1])) if isinstance(it, tuple) else [it]
        return out


@dataclass(frozen=True)
class Ref:
    """``data|hashes|events[channels][start:stop]``."""

    source: str
    channels: Channels
    start: Time
    stop: Time
    pos: Pos = field(default=(0, 0), compare=False)

    @property
    def bound(self) -> bool:
        return self.start.bound or self.stop.bound


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Arg, ...]
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Arg = Ref | float | Name | Str
Operand = Call | Time
Expr = Compare | Call | And | Or | Not


@dataclass(frozen=True)
class Query:
    sites: tuple[str, ...]
    select: tuple[Ref, ...]
    where: Expr | None = None
    step: float | None = None
    limit: int | None = None
    site_pos: tuple[Pos, ...] = field(default=(), compare=False)

    @property
    def uses_t(self) -> bool:
        return any(r.bound for r in self.select) or (self.where is not None and _uses_t(self.where))


def _uses_t(node) -> bool:
    if isinstance(node, Time):
        return node.bound
    if isinstance(node, Ref):
        return node.bound
    if isinstance(node, Call):
        return any(_uses_t(a) for a in node.args if isinstance(a, Ref))
    if isinstance(node, Compare):
        return _uses_t(node.left) or _uses_t(node.right)
    if isinstance(node, And | Or):
        return any(_uses_t(i) for i in node.items)
    if isinstance(node, Not):
        return _uses_t(node.item)
    return False


def calls(node) -> list[Call]:
    """Every function call in an expression, in order."""
    if isinstance(node, Call):
        return [node]
    if isinstance(node, Compare):
        return calls(node.left) + calls(node.right)
    if isinstance(node, And | Or):
        return [c for i in node.items for c in calls(i)]
    if isinstance(node, Not):
        return calls(node.item)
    return []
