"""Running a plan: one task per store, evaluated in threads of this process or on a Dask cluster.

``run_site`` is the whole of one store's work (open, evaluate ``where`` batch by batch over the
grid, read the selected ranges of the matching rows) and is what a Dask worker runs, so local and
Dask execution give the same answer by construction. Function values of committed windows are
cached per process (committed samples never change), so a query repeated on a live store only
computes the windows that are new since the last one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cortexlink.core.errors import CortexlinkError, InvalidParameterError
from cortexlink.query.ast import And, Call, Compare, Expr, Not, Or, Ref, Time
from cortexlink.query.context import SiteContext, Windows, load_template
from cortexlink.query.functions import FUNCTIONS, arg_values, truth
from cortexlink.query.parser import unparse_expr
from cortexlink.query.planner import SitePlan, ms_to_samples

BATCH_SAMPLES = 8_000_000  # samples (channels x time) read per batch of grid points
CACHE_ROWS = 500_000
_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_stores: dict[str, Any] = {}
_stores_lock = threading.Lock()
_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass
class SiteRows:
    """One store's answer: per matching grid point its sample, t (ms) and matching channels, and
    per selected reference its values (and first sample)."""

    site: str
    sample_rate: float
    gain_uv: float
    channel_ids: list[str]
    samples: list[int] = field(default_factory=list)
    t_ms: list[float] = field(default_factory=list)
    matched: list[np.ndarray] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)  # [row][select ref]
    starts: list[list[int]] = field(default_factory=list)


def open_cached(path: str, store: Any = None) -> Any:
    """The process's open store for ``path`` (its chunk cache is reused across queries)."""
    from cortexlink.store import SiteStore

    with _stores_lock:
        if store is not None:
            _stores[path] = store
        if path not in _stores:
            _stores[path] = SiteStore(path)
        return _stores[path]


@functools.lru_cache(maxsize=1024)
def _call_text(call: Call) -> str:
    return unparse_expr(call)


def _call_key(call: Call, params: dict[str, Any]) -> str:
    """What cached values of ``call`` are keyed by: its text (and its template's bytes)."""
    text = _call_text(call)
    if call.name == "similar":
        tmpl = call.args[1]
        arr = load_template(tmpl if not hasattr(tmpl, "name") else tmpl.name, params)
        text += hashlib.sha1(arr.tobytes()).hexdigest()
    return text


class _SiteEval:
    def __init__(self, store, plan: SitePlan, params: dict[str, Any]) -> None:
        self.store, self.plan, self.params = store, plan, params
        self.fs = store.sample_rate
        self.ctx = SiteContext(store, plan, params)
        self.keys: dict[int, str] = {}

    def batch(self, grid: np.ndarray, where: Expr) -> np.ndarray:
        """The (t, channel) mask of ``where`` at grid points ``grid``. Signal is read per function
        call, only for the grid points whose value is not cached yet."""
        self.grid = grid
        self.t_ms = (grid - self.plan.now_sample) * 1000.0 / self.fs
        full = np.ones((grid.size, self.store.n_channels), bool)
        return self.eval(where, full)

    def eval(self, e: Expr, mask: np.ndarray) -> np.ndarray:
        if isinstance(e, And):
            out = mask.copy()
            for it in e.items:
                if not out.any():
                    break
                out &= self.eval(it, out)
            return out
        if isinstance(e, Or):
            out = np.zeros_like(mask)
            for it in e.items:
                rest = mask & ~out
                if not rest.any():
                    break
                out |= self.eval(it, rest) & rest
            return out
        if isinstance(e, Not):
            return mask & ~self.eval(e.item, mask)
        if isinstance(e, Compare):
            left, right = self.operand(e.left, mask), self.operand(e.right, mask)
            with np.errstate(invalid="ignore"):
                res = _OPS[e.op](left, right)
            return np.broadcast_to(res, mask.shape) & mask
        assert isinstance(e, Call)
        values = self.call(e, mask)
        with np.errstate(invalid="ignore"):
            return truth(FUNCTIONS[e.name], e, values) & mask

    def operand(self, o, mask: np.ndarray) -> np.ndarray:
        if isinstance(o, Time):
            return (self.t_ms + o.offset)[:, None] if o.bound else np.array([[o.offset]])
        return self.call(o, mask)

    def call(self, call: Call, mask: np.ndarray) -> np.ndarray:
        """Values ``(n_t, n_channels)`` of a function (NaN where not computed or off its channels)."""
        fn = FUNCTIONS[call.name]
        ref = call.args[0]
        chans = ref.channels.indices(self.store.n_channels)
        out = np.full(mask.shape, np.nan)
        rows = np.flatnonzero(mask[:, chans].any(axis=1))
        if not rows.size:
            return out
        key = self.keys.get(id(call))
        if key is None:
            key = self.keys[id(call)] = _call_key(call, self.params)
        a = ms_to_samples(ref.start.offset, self.fs)
        b = ms_to_samples(ref.stop.offset, self.fs)
        # values are cached by the window's first sample (committed samples never change)
        row_starts = (self.grid[rows] if ref.bound else np.full(rows.size, self.plan.now_sample)) + a
        cached = _cache_get(self.store.uid, key, row_starts)
        miss = np.array([c is None for c in cached], bool)
        todo = rows[miss]
        if todo.size < rows.size:
            out[np.ix_(rows[~miss], chans)] = np.stack([c for c in cached if c is not None])
        if todo.size:
            starts = row_starts[miss]
            windows = Windows(self.store, starts, chans, b - a)
            self.ctx.active = np.ones((todo.size, len(chans)), bool)
            self.ctx.window_starts = starts
            self.ctx.channels = chans
            vals = np.asarray(fn.compute(windows, arg_values(call), self.ctx), dtype=np.float64)
            out[np.ix_(todo, chans)] = vals
            _cache_put(self.store.uid, key, starts, vals)
        return out


def _cache_get(path: str, key: str, samples: np.ndarray) -> list[np.ndarray | None]:
    with _cache_lock:
        out = []
        for s in samples.tolist():
            v = _cache.get((path, key, s))
            if v is not None:
                _cache.move_to_end((path, key, s))
            out.append(v)
        return out


def _cache_put(path: str, key: str, samples: np.ndarray, values: np.ndarray) -> None:
    with _cache_lock:
        for s, v in zip(samples.tolist(), values, strict=True):
            _cache[(path, key, s)] = v
        while len(_cache) > CACHE_ROWS:
            _cache.popitem(last=False)


def clear_cache() -> None:
    """Forget cached function values and open stores (e.g. after a store was replaced)."""
    with _cache_lock:
        _cache.clear()
    with _stores_lock:
        _stores.clear()


def run_site(
    plan: SitePlan,
    where: Expr | None,
    select: tuple[Ref, ...],
    limit: int | None,
    params: dict[str, Any],
    store: Any = None,
) -> SiteRows:
    """One store's part of a query (what a Dask worker runs)."""
    st = open_cached(plan.path, store)
    if st.n_samples < plan.committed:
        st.refresh()
    out = SiteRows(plan.site, plan.sample_rate, st.gain_uv, st.channel_ids)
    ev = _SiteEval(st, plan, params)
    n_ch = st.n_channels
    if plan.grid is None:
        grids = [np.array([plan.now_sample], np.int64)]
    else:
        g0, g1, step = plan.grid
        span = max(1, plan.span[1] - plan.span[0] - (g1 - g0)) * max(1, len(plan.channels))
        per = max(1, min(4096, BATCH_SAMPLES // span))
        all_points = np.arange(g0, g1 + 1, step, dtype=np.int64)
        grids = [all_points[i : i + per] for i in range(0, all_points.size, per)]
    for grid in grids:
        mask = ev.batch(grid, where) if where is not None else np.ones((grid.size, n_ch), bool)
        hits = np.flatnonzero(mask.any(axis=1))
        if limit is not None:
            hits = hits[: limit - len(out.samples)]
        samples = grid[hits] if plan.grid is not None else np.full(hits.size, plan.now_sample)
        matched = [np.flatnonzero(mask[i]) for i in hits]
        out.samples += samples.tolist()
        out.t_ms += (
            ((samples - plan.now_sample) * 1000.0 / plan.sample_rate).tolist()
            if plan.grid is not None
            else [0.0] * hits.size
        )
        out.matched += matched
        per_ref = [_select_rows(st, r, samples, matched) for r in select]
        out.values += [[v for v, _ in row] for row in zip(*per_ref, strict=True)] if select else []
        out.starts += [[a for _, a in row] for row in zip(*per_ref, strict=True)] if select else []
        if limit is not None and len(out.samples) >= limit:
            return out
    return out


def _select_rows(st, r: Ref, samples: np.ndarray, matched: list[np.ndarray]) -> list[tuple[Any, int]]:
    """The values of select reference ``r`` at each row; signal of all rows in one read."""
    if r.source != "data" or not samples.size:
        return [_select(st, r, int(s), m) for s, m in zip(samples, matched, strict=True)]
    fs = st.sample_rate
    a, b = ms_to_samples(r.start.offset, fs), ms_to_samples(r.stop.offset, fs)
    if r.channels.matched:
        union = np.unique(np.concatenate(matched))
        # a row matching every channel of the union takes a view of the block, not a copy
        rows = [slice(None) if m.size == union.size else np.searchsorted(union, m) for m in matched]
    else:
        union = np.asarray(r.channels.indices(st.n_channels), np.int64)
        rows = [slice(None)] * samples.size
    lo = int(samples.min()) + a
    if int(samples.max()) - int(samples.min()) > 8 * (b - a):  # far apart: read each row alone
        pairs = zip(samples.tolist(), rows, strict=True)
        return [(st.read(s + a, s + b, union[i]), s + a) for s, i in pairs]
    block = st.read(lo, int(samples.max()) + b, union)
    return [
        (block[i, int(s) + a - lo : int(s) + b - lo], int(s) + a) for s, i in zip(samples, rows, strict=True)
    ]


def _select(st, r: Ref, s: int, matched: np.ndarray) -> tuple[Any, int]:
    fs = st.sample_rate
    a, b = s + ms_to_samples(r.start.offset, fs), s + ms_to_samples(r.stop.offset, fs)
    chans = matched.tolist() if r.channels.matched else r.channels.indices(st.n_channels)
    if r.source == "data":
        return st.read(a, b, chans), a
    if r.source == "hashes":
        w = st.hash_window
        if not w:
            raise InvalidParameterError(f"site {st.site!r} keeps no hash stream; select data instead")
        first, last = -(-a // w), b // w
        return st.read_hashes(first, max(first, last), chans), first * w
    keep = set(chans)
    return [e for e in st.events(a, b) if e.get("channel", -1) in keep or e.get("channel", -1) < 0], a


def run_local(
    plans: list[SitePlan], where, select, limit, params, stores: dict[str, Any], workers: int | None = None
) -> list[SiteRows]:
    """Every store's task in threads of this process."""
    n = max(1, min(len(plans), workers or os.cpu_count() or 1))
    if n == 1:
        return [run_site(p, where, select, limit, params, stores.get(p.path)) for p in plans]
    pool = _pool(n)
    futures = [pool.submit(run_site, p, where, select, limit, params, stores.get(p.path)) for p in plans]
    return [f.result() for f in futures]


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(n: int) -> ThreadPoolExecutor:
    """A pool of ``n`` threads kept for the process (starting threads per query costs more than a
    warm query over a live store)."""
    with _stores_lock:
        if n not in _pools:
            _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="cortexlink-query")
        return _pools[n]


def run_dask(plans: list[SitePlan], where, select, limit, params, address: Any) -> list[SiteRows]:
    """Every store's task on a Dask cluster (``address``: a scheduler address or a Client)."""
    from cortexlink.core.optional import require

    distributed = require("distributed", "query", "running queries on Dask")
    client = address if isinstance(address, distributed.Client) else None
    own = client is None
    if own:
        try:
            client = distributed.Client(address, timeout=10)
        except OSError as exc:
            raise InvalidParameterError(
                f"cannot reach the Dask scheduler at {address} ({exc}); check the address (tcp://HOST:8786)"
            ) from None
    try:
        futures = client.map(
            run_site, plans, where=where, select=select, limit=limit, params=params, pure=False
        )
        try:
            return client.gather(futures)
        except CortexlinkError:
            raise
    finally:
        if own:
            client.close()
