"""Running a plan: one task per store, evaluated in threads of this process or on a Dask cluster.

``run_site`` is the whole of one store's work (open, evaluate ``where`` batch by batch over the
grid, read the selected ranges of the matching rows) and is what a Dask worker runs, so local and
Dask execution give the same answer by construction. Function values of committed windows are
cached per process (committed samples never change), so a query repeated on a live store only
computes the windows that are new since the last one.
"""

from __future__ import annotations

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
from cortexlink.query.functions import FUNCTIONS, arg_values, similar_family, truth
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


class _Context:
    """What a function sees of the store beside its windows."""

    def __init__(self, store, plan: SitePlan, params: dict[str, Any]) -> None:
        self.store, self.plan, self.params = store, plan, params
        self.sample_rate, self.gain_uv = store.sample_rate, store.gain_uv
        self.active: np.ndarray = np.zeros((0, 0), bool)
        self.window_starts: np.ndarray = np.zeros(0, np.int64)
        self.channels: list[int] = []

    def template(self, arg: Any) -> np.ndarray:
        return load_template(arg, self.params)

    def window_codes(self, w: np.ndarray, measure: str) -> np.ndarray:
        """Hash codes of the windows: read from the store's hash stream when its family, window and
        grid fit, else hashed now with the same family."""
        st, length = self.store, w.shape[-1]
        fam = st.hash_family
        starts = self.window_starts
        if (
            fam is not None
            and fam.measure == measure
            and length == st.hash_window
            and starts.size
            and not (starts % length).any()
            and starts.min() >= st.manifest["first_hash_chunk"] * st.chunk
        ):
            first, last = int(starts.min()) // length, int(starts.max()) // length
            codes = st.read_hashes(first, last + 1, self.channels)  # (n_ch, n_w, tables)
            return codes[:, starts // length - first].transpose(1, 0, 2)
        fam = similar_family(measure, length)
        flat = w.reshape(-1, length).astype(np.float64)
        return fam.hash(flat).reshape(w.shape[0], w.shape[1], -1)


def load_template(arg: Any, params: dict[str, Any]) -> np.ndarray:
    """A template by name (``params``) or from a quoted ``.npy`` path, as a 1-D float array."""
    from cortexlink.query.ast import Str

    if isinstance(arg, Str):
        from pathlib import Path

        path = Path(arg.value)
        if path.suffix != ".npy" or not path.is_file():
            raise InvalidParameterError(f"template file {path} is not an existing .npy file")
        arr = np.load(path, allow_pickle=False)
    else:
        if arg not in params:
            raise InvalidParameterError(
                f"template {arg!r} is not given; pass params={{{arg!r}: array}} (or --template NAME=FILE.npy)"
            )
        arr = np.asarray(params[arg])
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2 or not np.isfinite(arr).all():
        raise InvalidParameterError(
            f"a template is a 1-D finite array of at least 2 samples, got shape {arr.shape}"
        )
    return arr


def _call_key(call: Call, params: dict[str, Any]) -> str:
    text = unparse_expr(call)
    if call.name == "similar":
        tmpl = call.args[1]
        arr = load_template(tmpl if not hasattr(tmpl, "name") else tmpl.name, params)
        text += hashlib.sha1(arr.tobytes()).hexdigest()
    return text


class _SiteEval:
    def __init__(self, store, plan: SitePlan, params: dict[str, Any]) -> None:
        self.store, self.plan, self.params = store, plan, params
        self.fs = store.sample_rate
        self.ctx = _Context(store, plan, params)
        self.keys: dict[int, str] = {}

    def batch(self, grid: np.ndarray, where: Expr) -> np.ndarray:
        """The (t, channel) mask of ``where`` at grid points ``grid``."""
        self.grid = grid
        self.t_ms = (grid - self.plan.now_sample) * 1000.0 / self.fs
        self.block = None
        chans = self.plan.channels
        if chans:
            refs = self._where_refs(where)
            now = self.plan.now_sample

            def at(r: Ref, end: bool, point: int) -> int:
                return (point if r.bound else now) + ms_to_samples(
                    r.stop.offset if end else r.start.offset, self.fs
                )

            lo = min(at(r, False, int(grid[0])) for r in refs)
            hi = max(at(r, True, int(grid[-1])) for r in refs)
            self.block_start = lo
            self.block = self.store.read(lo, hi, chans)
            self.block_rows = {c: i for i, c in enumerate(chans)}
        full = np.ones((grid.size, self.store.n_channels), bool)
        return self.eval(where, full)

    @staticmethod
    def _where_refs(e: Expr) -> list[Ref]:
        from cortexlink.query.ast import calls

        return [c.args[0] for c in calls(e)]

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
        key = self.keys.setdefault(id(call), _call_key(call, self.params))
        cached = _cache_get(self.store.uid, key, self.grid[rows])
        todo = rows[[c is None for c in cached]]
        for r, v in zip(rows, cached, strict=True):
            if v is not None:
                out[r, chans] = v
        if todo.size:
            a = ms_to_samples(ref.start.offset, self.fs)
            b = ms_to_samples(ref.stop.offset, self.fs)
            base = self.grid[todo] if ref.bound else np.full(todo.size, self.plan.now_sample)
            starts = base + a
            idx = [self.block_rows[c] for c in chans]
            offs = starts - self.block_start
            view = np.lib.stride_tricks.sliding_window_view(self.block[idx], b - a, axis=1)
            windows = view[:, offs].transpose(1, 0, 2)
            self.ctx.active = np.ones((todo.size, len(chans)), bool)
            self.ctx.window_starts = starts
            self.ctx.channels = chans
            vals = np.asarray(fn.compute(windows, arg_values(call), self.ctx), dtype=np.float64)
            out[np.ix_(todo, chans)] = vals
            _cache_put(self.store.uid, key, self.grid[todo], vals)
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
        for i in np.flatnonzero(mask.any(axis=1)):
            s = int(grid[i])
            out.samples.append(s)
            out.t_ms.append(
                (s - plan.now_sample) * 1000.0 / plan.sample_rate if plan.grid is not None else 0.0
            )
            out.matched.append(np.flatnonzero(mask[i]))
            vals, starts = [], []
            for r in select:
                v, a = _select(st, r, s if plan.grid is not None else plan.now_sample, out.matched[-1])
                vals.append(v)
                starts.append(a)
            out.values.append(vals)
            out.starts.append(starts)
            if limit is not None and len(out.samples) >= limit:
                return out
    return out


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
    if n == 1 or len(plans) == 1:
        return [run_site(p, where, select, limit, params, stores.get(p.path)) for p in plans]
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(run_site, p, where, select, limit, params, stores.get(p.path)) for p in plans]
        return [f.result() for f in futures]


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
