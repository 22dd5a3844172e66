"""The planner: which samples of which channels each store must read, the grid of ``t``, and the
order of the ``where`` tests.

Semantics. Times are milliseconds relative to *now*, the newest committed sample over the queried
stores (wall clock, so live sites line up). A query that names ``t`` is evaluated at every ``t`` on
the site's grid: the samples that are whole multiples of ``step`` ms since the store began (default
``step``: the shortest time range bound to ``t`` in ``where``, else in ``select``), within the
bounds that ``where`` puts on ``t`` (``t >= A``, ``t <= B``, ... joined by ``and``: pushed down,
default ``(oldest retained, 0]``), and only where every referenced range is committed. A query
without ``t`` is evaluated once, at now. ``where`` is evaluated per (site, t, channel); a (site, t)
is returned when it holds on at least one channel (its ``channels``). An explicit time range older
than a store's retention is an error, never a silently shorter answer.

Pushdown: each store reads only the channels and the time span the tests need, in batches of grid
points; ``and`` runs its tests cheapest first (comparisons on ``t``, then amplitude-like
statistics, then ``similar``'s hash test, its exact measure, then ``seizure_detect``), each on
the (t, channel) pairs still true; ``limit`` stops a site once it has that many rows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.query.ast import And, Call, Compare, Expr, Not, Or, Query, Ref, Time, calls
from cortexlink.query.functions import FUNCTIONS
from cortexlink.query.parser import QuerySyntaxError, unparse, unparse_expr

DEFAULT_STEP_MS = 100.0
MAX_GRID_POINTS = 10_000_000


def ms_to_samples(ms: float, rate: float) -> int:
    """A time offset (ms) as a whole number of samples (the one rounding every part uses)."""
    return int(round(ms * rate / 1000.0))


def cost(e: Expr) -> int:
    """The planner's cost of a test: its most expensive function (0: comparisons on t)."""
    return max((FUNCTIONS[c.name].cost for c in calls(e)), default=0)


def ordered(e: Expr | None) -> Expr | None:
    """``e`` with every ``and`` (and ``or``) running its cheaper tests first."""
    if isinstance(e, And | Or):
        items = sorted((ordered(i) for i in e.items), key=cost)
        return type(e)(tuple(items))
    if isinstance(e, Not):
        return Not(ordered(e.item))
    return e


def t_bounds(e: Expr | None) -> tuple[float, float, bool]:
    """``(lo, hi, lo_given)`` ms that the top-level ``and`` of ``where`` puts on t."""
    lo, hi, given = -math.inf, math.inf, False
    items = e.items if isinstance(e, And) else (e,) if e is not None else ()
    for it in items:
        if not isinstance(it, Compare):
            continue
        left, op, right = it.left, it.op, it.right
        if isinstance(right, Time) and right.bound and isinstance(left, Time) and not left.bound:
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not (isinstance(left, Time) and left.bound and isinstance(right, Time) and not right.bound):
            continue
        value = right.offset - left.offset
        if op in (">", ">="):
            lo, given = max(lo, value), True
        elif op in ("<", "<="):
            hi = min(hi, value)
        elif op == "==":
            lo, hi, given = max(lo, value), min(hi, value), True
    return lo, hi, given


def _refs(q: Query) -> tuple[list[Ref], list[Ref]]:
    where = [c.args[0] for c in calls(q.where)] if q.where is not None else []
    return list(q.select), [r for r in where if isinstance(r, Ref)]


@dataclass
class SitePlan:
    """What one store does for a query (small and picklable: it travels to Dask workers)."""

    path: str
    site: str
    sample_rate: float
    now_sample: int  # the sample at "now" on this site's clock
    committed: int  # samples committed when planned (reads stop there)
    grid: tuple[int, int, int] | None  # (first, last, step) sample positions of t; None: no t
    channels: list[int]  # channels the where clause reads
    span: tuple[int, int]  # samples the where clause reads (over the whole grid)
    n_points: int = 0


@dataclass
class Plan:
    query: Query
    where: Expr | None
    now_ns: int
    step_ms: float | None
    bounds_ms: tuple[float, float]
    sites: list[SitePlan] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def explain(self, execution: str = "local") -> str:
        """The plan in words: what each store reads, in which order the tests run."""
        q = self.query
        lines = [
            f"query: {unparse(q)}",
            f"now: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(self.now_ns / 1e9))} UTC "
            f"(+{self.now_ns % 1_000_000_000 / 1e6:.1f} ms), the newest committed sample over "
            f"{len(self.sites)} store(s)",
        ]
        if self.step_ms is not None:
            lo, hi = self.bounds_ms
            lines.append(
                f"t: every {self.step_ms:g} ms on each store's grid, within [{lo:g}, {hi:g}] ms "
                "(bounds pushed down from where)"
            )
        else:
            lines.append("t: not used; evaluated once, at now")
        for sp in self.sites:
            ch = _ranges(sp.channels)
            span = (
                f"samples [{sp.span[0]}, {sp.span[1]}) = "
                f"{(sp.span[1] - sp.span[0]) / sp.sample_rate * 1e3:.0f} ms"
                if sp.channels
                else "nothing"
            )
            lines.append(
                f"  {sp.site}: where reads channels {ch or '-'}, {span}; {sp.n_points} grid point(s)"
            )
        for s in self.skipped:
            lines.append(f"  {s}: no committed data in range, skipped")
        if self.where is not None:
            lines.append("where, in the order run (each on the (t, channel) pairs still true):")
            lines += [f"  {i + 1}. {step}" for i, step in enumerate(_steps(self.where))]
        lines.append(f"select per matching (site, t): {', '.join(unparse_ref(r) for r in q.select)}")
        if q.limit is not None:
            lines.append(f"limit: {q.limit} rows (each site stops at {q.limit})")
        lines.append(f"execution: {execution}")
        return "\n".join(lines)


def unparse_ref(r: Ref) -> str:
    from cortexlink.query.parser import _ref

    return _ref(r)


def _steps(e: Expr, prefix: str = "") -> list[str]:
    if isinstance(e, And):
        return [s for i in e.items for s in _steps(i, prefix)]
    text = unparse_expr(e)
    if isinstance(e, Call) and e.name == "similar":
        exact = len(e.args) > 4
        how = (
            "exact measure on every window"
            if exact
            else "hash test (the store's hash stream when it fits, else hashed on read), "
            "exact measure on candidates"
        )
        return [f"{prefix}{text}: {how}"]
    kind = "comparison on t (pushed down)" if cost(e) == 0 else f"cost {cost(e)}"
    return [f"{prefix}{text}: {kind}"]


def _ranges(ch: list[int]) -> str:
    out, i = [], 0
    while i < len(ch):
        j = i
        while j + 1 < len(ch) and ch[j + 1] == ch[j] + 1:
            j += 1
        out.append(str(ch[i]) if i == j else f"{ch[i]}-{ch[j]}")
        i = j + 1
    return ",".join(out)


def default_step(q: Query) -> float:
    select, where = _refs(q)
    for refs in (where, select):
        bound = [r.stop.offset - r.start.offset for r in refs if r.bound]
        if bound:
            return min(bound)
    return DEFAULT_STEP_MS


def match_sites(q: Query, stores: list[Any]) -> list[Any]:
    """The stores ``from`` names (names or glob patterns; ``*``: all), or a positioned error."""
    import fnmatch

    chosen, names = [], [s.site for s in stores]
    for pat, pos in zip(q.sites, q.site_pos or [(0, 0)] * len(q.sites), strict=False):
        hits = [s for s in stores if fnmatch.fnmatchcase(s.site, pat)]
        if not hits:
            raise QuerySyntaxError(
                f"no store is site {pat!r}; the stores are {', '.join(names) or 'none'}", *pos
            )
        chosen += [s for s in hits if s not in chosen]
    return chosen


def plan(q: Query, stores: list[Any], now_ns: int | None = None) -> Plan:
    """Plan ``q`` over open stores (``SiteStore``), each refreshed to its latest commit."""
    sites = match_sites(q, stores)
    for s in sites:
        s.refresh()
    now = max(s.end_unix_ns for s in sites) if now_ns is None else int(now_ns)
    uses_t = q.uses_t
    step_ms = (q.step if q.step is not None else default_step(q)) if uses_t else None
    lo, hi, lo_given = t_bounds(q.where) if uses_t else (-math.inf, math.inf, False)
    hi = min(hi, 0.0)
    out = Plan(q, ordered(q.where), now, step_ms, (lo, hi))
    select, where = _refs(q)
    for s in sites:
        sp = _site_plan(q, s, now, step_ms, lo, hi, lo_given, select, where)
        if sp is None:
            out.skipped.append(s.site)
        else:
            out.sites.append(sp)
    return out


def _site_plan(q, s, now_ns, step_ms, lo, hi, lo_given, select, where) -> SitePlan | None:
    fs, n, first = s.sample_rate, s.n_samples, s.first_sample
    now_sample = n - max(0, ms_to_samples((now_ns - s.end_unix_ns) / 1e6, fs))
    bound = [r for r in select + where if r.bound]
    fixed = [r for r in select + where if not r.bound]
    for r in fixed:
        a, b = now_sample + ms_to_samples(r.start.offset, fs), now_sample + ms_to_samples(r.stop.offset, fs)
        if a < first or b > n:
            where_ = "before its retention" if a < first else "past its newest committed sample"
            raise QuerySyntaxError(
                f"{unparse_ref(r)} reaches {where_} on site {s.site!r} (it keeps "
                f"{(n - first) / fs:.3f} s); ask for a range it holds",
                *r.pos,
            )
    wch = sorted({c for r in where for c in r.channels.indices(s.n_channels)})
    for r in select + where:
        bad = [c for c in r.channels.indices(s.n_channels) if c >= s.n_channels]
        if bad:
            raise QuerySyntaxError(
                f"channel {bad[0]} does not exist on site {s.site!r} ({s.n_channels} channels)", *r.pos
            )
    if step_ms is None:
        offs = [(ms_to_samples(r.start.offset, fs), ms_to_samples(r.stop.offset, fs)) for r in where]
        span = (
            now_sample + min((a for a, _ in offs), default=0),
            now_sample + max((b for _, b in offs), default=0),
        )
        return SitePlan(str(s.path), s.site, fs, now_sample, n, None, wch, span, 1)
    step = max(1, ms_to_samples(step_ms, fs))
    starts = [ms_to_samples(r.start.offset, fs) for r in bound] or [0]
    stops = [ms_to_samples(r.stop.offset, fs) for r in bound] or [0]
    t_hi = min(now_sample + (math.ceil(hi * fs / 1000.0) if math.isfinite(hi) else 0), n - max(stops))
    oldest = first - min(starts)
    if lo_given:
        t_lo = now_sample + math.floor(lo * fs / 1000.0)
        if t_lo < oldest:
            raise QuerySyntaxError(
                f"t >= {lo:g} ms reaches before the retention of site {s.site!r}: it keeps "
                f"{(n - first) / fs * 1e3:.0f} ms (t >= {(oldest - now_sample) / fs * 1e3:.0f}); "
                "ask for a more "
                "recent range"
            )
    else:
        t_lo = oldest
    g0, g1 = -(-max(t_lo, 0) // step) * step, (t_hi // step) * step
    if g1 < g0:
        return None
    n_points = (g1 - g0) // step + 1
    if n_points > MAX_GRID_POINTS:
        raise InvalidParameterError(
            f"the query asks for {n_points} values of t on site {s.site!r}; bound t "
            "more tightly or raise step"
        )
    w_starts = [ms_to_samples(r.start.offset, fs) for r in where] or [0]
    w_stops = [ms_to_samples(r.stop.offset, fs) for r in where] or [0]
    span = (g0 + min(w_starts), g1 + max(w_stops)) if where else (g0, g0)
    return SitePlan(str(s.path), s.site, fs, now_sample, n, (g0, g1, step), wch, span, n_points)
