"""Parse query text (``grammar.lark``, LALR) into the ``ast`` tree, and unparse it back.

``parse`` reports a syntax error as ``QuerySyntaxError`` naming the line and column and what was
expected there; it also checks what the grammar cannot (function names and arguments, ranges).
``unparse(parse(text))`` parses to an equal tree (a property test checks this on random queries).
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from cortexlink.core.errors import InvalidParameterError
from cortexlink.query.ast import (
    And,
    Call,
    Channels,
    Compare,
    Expr,
    Name,
    Not,
    Or,
    Query,
    Ref,
    Str,
    Time,
)


class QuerySyntaxError(InvalidParameterError):
    """A query that does not parse or does not make sense, with where in the text (1-based)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"query error at {where}{message}")
        self.line, self.column = line, column


@functools.lru_cache(maxsize=1)
def _parser():
    from cortexlink.core.optional import require

    lark = require("lark", "query", "parsing queries")
    text = resources.files("cortexlink.query").joinpath("grammar.lark").read_text()
    return lark.Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _pos(meta) -> tuple[int, int]:
    return (getattr(meta, "line", 0), getattr(meta, "column", 0))


def _num(tok) -> float:
    return float(tok)


@functools.lru_cache(maxsize=1)
def _build():
    from lark import Transformer, v_args

    @v_args(inline=True)
    class ToAst(Transformer):
        def start(self, sites, refs, where=None, step=None, limit=None):
            names, pos = sites
            return Query(tuple(names), tuple(refs), where, step, limit, tuple(pos))

        def sites(self, *toks):
            names = [json.loads(t) if t.startswith('"') else str(t) for t in toks]
            return names, [(t.line, t.column) for t in toks]

        def refs(self, *refs):
            return list(refs)

        @v_args(meta=True, inline=True)
        def ref(self, meta, source, channels, start, stop):
            return Ref(source, channels, start, stop, _pos(meta))

        def data(self):
            return "data"

        def hashes(self):
            return "hashes"

        def events(self):
            return "events"

        def all_channels(self):
            return Channels(None)

        def matched_channels(self):
            return Channels(None, matched=True)

        def channels(self, *items):
            return Channels(tuple(items))

        def one_channel(self, tok):
            return int(tok)

        def channel_range(self, a, b):
            return (int(a), int(b))

        def t_plain(self):
            return Time(0.0, True)

        def t_offset(self, op, num):
            return Time(_num(num) * (-1 if op == "-" else 1), True)

        def t_now(self, num):
            return Time(_num(num), False)

        def where(self, expr):
            return expr

        def step(self, num):
            return _num(num)

        def limit(self, num):
            return int(num)

        def or_(self, a, b):
            return Or((*(a.items if isinstance(a, Or) else (a,)), b))

        def and_(self, a, b):
            return And((*(a.items if isinstance(a, And) else (a,)), b))

        def not_(self, a):
            return Not(a)

        def comparison(self, left, op, right):
            return Compare(str(op), left, right)

        @v_args(meta=True, inline=True)
        def call(self, meta, name, *args):
            return Call(str(name), tuple(a for a in args if a is not None), _pos(meta))

        def num_arg(self, tok):
            return _num(tok)

        def name_arg(self, tok):
            return Name(str(tok))

        def str_arg(self, tok):
            return Str(json.loads(tok))

    return ToAst()


def parse(text: str) -> Query:
    """The syntax tree of a query; ``QuerySyntaxError`` (line, column) if it is malformed. Trees
    are immutable, so a dashboard repeating a query parses it once (cached by text)."""
    if not isinstance(text, str) or not text.strip():
        raise QuerySyntaxError(
            "the query is empty; it reads 'from SITES select data[CHANNELS][START:STOP] ...'"
        )
    return _parse_cached(text)


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Query:
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
        VisitError,
    )

    try:
        tree = _parser().parse(text)
        query = _build().transform(tree)
    except UnexpectedEOF as exc:
        line, col = _end(text)
        raise QuerySyntaxError(
            f"the query ends early; expected {_expected(exc.expected)}", line, col
        ) from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            line, col = _end(text)
            raise QuerySyntaxError(
                f"the query ends early; expected {_expected(exc.expected)}", line, col
            ) from None
        raise QuerySyntaxError(
            f"unexpected {str(exc.token)!r}; expected {_expected(exc.expected)}", exc.line, exc.column
        ) from None
    except UnexpectedCharacters as exc:
        raise QuerySyntaxError(
            f"unexpected character {text[exc.pos_in_stream]!r}", exc.line, exc.column
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        raise QuerySyntaxError(str(exc).splitlines()[0], exc.line, exc.column) from None
    except VisitError as exc:  # pragma: no cover - a transformer bug surfaces as a clear error
        raise QuerySyntaxError(f"cannot read the query ({exc.orig_exc})") from None
    from cortexlink.query.functions import check_query

    check_query(query)
    return query


def _end(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


_NICE = {
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "SIGNED_NUMBER": "a number",
    "NUMBER": "a number",
    "INT": "a whole number",
    "NAME": "a name",
    "SITE": "a site name or pattern",
    "COMPOP": "a comparison",
    "ADDOP": "'+' or '-'",
    "ESCAPED_STRING": "a quoted string",
    "T": "'t'",
    "SELECT": "'select'",
    "WHERE": "'where'",
    "FROM": "'from'",
    "DATA": "'data'",
    "HASHES": "'hashes'",
    "EVENTS": "'events'",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "LIMIT": "'limit'",
    "STEP": "'step'",
    "$END": "the end",
}


def _expected(names) -> str:
    nice = sorted({_NICE.get(n, n.lower()) for n in names})
    return ", ".join(nice[:8]) + (" ..." if len(nice) > 8 else "")


# -- unparse ---------------------------------------------------------------------------------


def _fmt_num(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _time(t: Time) -> str:
    if not t.bound:
        return _fmt_num(t.offset)
    if t.offset == 0:
        return "t"
    return f"t{'-' if t.offset < 0 else '+'}{_fmt_num(abs(t.offset))}"


def _channels(c: Channels) -> str:
    if c.matched:
        return "matched"
    if c.items is None:
        return ":"
    return ",".join(f"{i[0]}:{i[1]}" if isinstance(i, tuple) else str(i) for i in c.items)


def _ref(r: Ref) -> str:
    return f"{r.source}[{_channels(r.channels)}][{_time(r.start)}:{_time(r.stop)}]"


def _arg(a) -> str:
    if isinstance(a, Ref):
        return _ref(a)
    if isinstance(a, Name):
        return a.name
    if isinstance(a, Str):
        return json.dumps(a.value)
    return _fmt_num(a)


def unparse_expr(e: Expr, parent: int = 0) -> str:
    """Expression text; ``parent`` is the binding strength of the enclosing operator."""
    if isinstance(e, Or):
        text, level = " or ".join(unparse_expr(i, 1) for i in e.items), 1
    elif isinstance(e, And):
        text, level = " and ".join(unparse_expr(i, 2) for i in e.items), 2
    elif isinstance(e, Not):
        return f"not {unparse_expr(e.item, 3)}"
    elif isinstance(e, Compare):
        return f"{_operand(e.left)} {e.op} {_operand(e.right)}"
    else:
        return _operand(e)
    return f"({text})" if level <= parent else text


def _operand(o) -> str:
    if isinstance(o, Call):
        return f"{o.name}({', '.join(_arg(a) for a in o.args)})"
    return _time(o)


def _site(s: str) -> str:
    import re

    return s if re.fullmatch(r"[A-Za-z0-9_*?\[\].\-]+", s) and s.lower() != "select" else json.dumps(s)


def unparse(q: Query) -> str:
    """Query text that parses to ``q``."""
    text = f"from {', '.join(_site(s) for s in q.sites)} select {', '.join(_ref(r) for r in q.select)}"
    if q.where is not None:
        text += f" where {unparse_expr(q.where)}"
    if q.step is not None:
        text += f" step {_fmt_num(q.step)}"
    if q.limit is not None:
        text += f" limit {q.limit}"
    return text
