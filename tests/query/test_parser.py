"""Grammar: the README's examples parse, malformed queries name line and column, and random valid
queries unparse to text that parses to an equal tree."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.query import QuerySyntaxError, parse, unparse
from cortexlink.query.ast import And, Call, Channels, Compare, Name, Not, Or, Query, Ref, Str, Time

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_queries() -> list[str]:
    text = README.read_text()
    found = re.findall(r'cortexlink query "([^"]+)"', text) + re.findall(r'query\("([^"]+)"', text)
    return [q for q in found if q.lower().startswith("from ")]


def test_every_readme_example_parses():
    found = _readme_queries()
    assert len(found) >= 2
    for q in found:
        assert parse(q).select


def test_the_hull_query_parses_to_its_tree():
    q = parse(
        "from * select data[:][t-100:t+100] where seizure_detect(data[:][t-1000:t]) and t >= -5000 and t <= 0"
    )
    ref = Ref("data", Channels(None), Time(-100, True), Time(100, True))
    assert q.sites == ("*",) and q.select == (ref,)
    assert isinstance(q.where, And) and len(q.where.items) == 3
    assert q.where.items[1] == Compare(">=", Time(0, True), Time(-5000))


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        ("from * select data[:][t-100:t+100] where foo(data[:][t-1:t])", 1, 42, "unknown function 'foo'"),
        ("from *\nselect data[:][t-100:t]\nwhere amplitude(data[:][t-10:t]) >", 3, 35, "ends early"),
        ("from * selec data[:][0:1]", 1, 8, "unexpected 'selec'"),
        ("from * select data[:][-100:-200]", 1, 15, "empty time range"),
        ("from * select data[:][t-9:t] where amplitude(data[:][t-9:t])", 1, 36, "compare it"),
        ("from * select data[:][t-9:t] where similar(data[:][t-9:t], tmpl, cosine, 2)", 1, 36, "measure"),
        ("from * select data[:][t-9:0]", 1, 15, "relative to t at both ends"),
        ("from * select data[:][0:1] where t >> 3", 1, 37, "unexpected"),
        ("from * select data[1:1][0:1]", 1, 15, "empty channel range"),
    ],
)
def test_malformed_queries_name_line_and_column(text, line, column, words):
    with pytest.raises(QuerySyntaxError, match=re.escape(words)) as err:
        parse(text)
    assert (err.value.line, err.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(err.value)


def test_empty_query():
    with pytest.raises(QuerySyntaxError, match="empty"):
        parse("  ")


# -- random valid trees ---------------------------------------------------------------------

nums = st.integers(-5000, 5000).map(float) | st.sampled_from([0.5, -2.25, 1e-3])
pos = st.integers(1, 2000).map(float)


@st.composite
def refs(draw, source="data", bound=None):
    bound = draw(st.booleans()) if bound is None else bound
    a = draw(st.integers(-3000, 2000))
    b = a + draw(st.integers(1, 1000))
    items = draw(
        st.none()
        | st.lists(
            st.integers(0, 200) | st.tuples(st.integers(0, 50), st.integers(51, 99)), min_size=1, max_size=3
        ).map(tuple)
    )
    return Ref(source, Channels(items), Time(float(a), bound), Time(float(b), bound))


def numeric_calls():
    data = refs()
    return st.one_of(
        st.builds(lambda r: Call("amplitude", (r,)), data),
        st.builds(lambda r, x: Call("rate", (r, x)), data, nums),
        st.builds(lambda r, a, b: Call("band_power", (r, a, b + a)), data, pos, pos),
    )


def predicate_calls():
    data = refs()
    return st.one_of(
        st.builds(
            lambda r, t, m, x: Call("similar", (r, t, Name(m), x)),
            data,
            st.sampled_from([Name("tmpl"), Str("a b.npy")]),
            st.sampled_from(["dtw", "xcor"]),
            pos,
        ),
        st.builds(lambda r: Call("seizure_detect", (r,)), data),
    )


def predicates():
    numeric = st.builds(
        lambda c, op, x: Compare(op, c, Time(x)),
        numeric_calls(),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        nums,
    )
    on_t = st.builds(
        lambda op, off, x: Compare(op, Time(off, True), Time(x)),
        st.sampled_from(["<", ">=", "!="]),
        nums,
        nums,
    )
    return numeric | on_t | predicate_calls()


def exprs():
    def extend(children):
        return (
            st.lists(children.filter(lambda e: not isinstance(e, And)), min_size=2, max_size=3).map(
                lambda xs: And(tuple(xs))
            )
            | st.lists(children.filter(lambda e: not isinstance(e, Or)), min_size=2, max_size=3).map(
                lambda xs: Or(tuple(xs))
            )
            | children.map(Not)
        )

    return st.recursive(predicates(), extend, max_leaves=6)


queries = st.builds(
    Query,
    st.lists(st.sampled_from(["*", "site0", "site*", "a-b.c", "x y", "s?[0-3]"]), min_size=1, max_size=3).map(
        tuple
    ),
    st.lists(refs() | refs("hashes") | refs("events"), min_size=1, max_size=3).map(tuple),
    st.none() | exprs(),
    st.none() | pos,
    st.none() | st.integers(1, 10**6),
)


@settings(max_examples=60, deadline=None)
@given(queries)
def test_random_queries_unparse_to_an_equal_tree(q):
    text = unparse(q)
    assert parse(text) == q
    assert unparse(parse(text)) == text
