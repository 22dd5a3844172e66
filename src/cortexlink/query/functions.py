"""The functions a ``where`` clause may call, and the checks ``parse`` runs on a query.

Each function takes a data reference (``data[channels][start:stop]``) first and gives one value
per (t, channel): ``values(windows, args, ctx)`` with ``windows`` ``(n_t, n_channels, length)`` in
ADC counts and ``active`` ``(n_t, n_channels)`` the windows worth computing (the planner's mask:
earlier, cheaper tests already failed elsewhere); values outside ``active`` are ignored.

- ``amplitude(ref)``: largest absolute deviation from the window's mean (uV).
- ``line_length(ref)``: mean absolute sample-to-sample change (uV).
- ``rate(ref, threshold_uv)``: crossings of ``threshold_uv`` per second (downward if negative).
- ``band_power(ref, low_hz, high_hz)``: power in the band (uV^2, periodogram).
- ``seizure_detect(ref[, threshold])``: the seizure package's per-channel probability
  (``cortexlink.seizure.score_channels``); as a test, true at ``>= threshold`` (default 0.5).
  Read from the store's ``seizure`` score stream (computed at record time) when its window and
  hop fit the reference and the grid, else computed now.
- ``similar(ref, template, measure, threshold[, exact])``: 1 where the window is within
  ``threshold`` of ``template`` under ``measure`` (dtw, euclidean, xcor, emd). Hash test first (a
  window is a candidate if its sketch-hash code equals the template's in any table; the store's own
  hash stream when it fits), exact distance on candidates only; with ``exact`` every window is
  measured. ``template``: a name given in ``params`` or a quoted ``.npy`` path (uV).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.query.ast import Call, Name, Query, Ref, Str, calls

SIMILAR_TABLES = 8
MEASURE_NAMES = ("dtw", "euclidean", "xcor", "emd")


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # after the data reference: "num" or "name" (a bare word) or "template"
    optional: int  # how many trailing params may be left out
    cost: int  # planner order: cheaper tests run first
    predicate: bool  # may stand alone as a test (else it must be compared)
    compute: Callable[..., np.ndarray]
    threshold_index: int | None = None  # param that is the stand-alone test's threshold


def _uv(windows: np.ndarray, gain: float) -> np.ndarray:
    return np.asarray(windows, dtype=np.float64) * gain


def _amplitude(w, args, ctx):
    x = _uv(w, ctx.gain_uv)
    return np.abs(x - x.mean(axis=-1, keepdims=True)).max(axis=-1)


def _line_length(w, args, ctx):
    return np.abs(np.diff(_uv(w, ctx.gain_uv), axis=-1)).mean(axis=-1)


def _rate(w, args, ctx):
    x, thr = _uv(w, ctx.gain_uv), float(args[0])
    below = x < thr if thr < 0 else x > thr
    crossings = (below[..., 1:] & ~below[..., :-1]).sum(axis=-1)
    return crossings / (w.shape[-1] / ctx.sample_rate)


def _band_power(w, args, ctx):
    low, high = float(args[0]), float(args[1])
    if not 0 <= low < high:
        raise InvalidParameterError(f"band_power needs 0 <= low < high Hz, got {low}, {high}")
    x = _uv(w, ctx.gain_uv)
    n = x.shape[-1]
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2 / (n * n)
    freqs = np.fft.rfftfreq(n, 1.0 / ctx.sample_rate)
    spec[..., 1 : (n + 1) // 2] *= 2  # one-sided
    return spec[..., (freqs >= low) & (freqs <= high)].sum(axis=-1)


def seizure_scorer() -> Callable[..., np.ndarray]:
    """``cortexlink.seizure.score_channels`` (the seizure package's detector)."""
    try:
        from cortexlink.seizure import score_channels
    except ImportError:
        from cortexlink.core.errors import MissingDependencyError

        raise MissingDependencyError(
            "seizure_detect needs cortexlink.seizure.score_channels (the seizure "
            "package), which this installation lacks"
        ) from None
    return score_channels


def _seizure(w, args, ctx):
    stored = ctx.stored_scores("seizure", w.shape[-1])
    if stored is not None:  # computed at record time by the same detector
        return stored
    score = seizure_scorer()
    out = np.full(w.shape[:2], np.nan)
    rows = np.flatnonzero(ctx.active.any(axis=1))
    if rows.size:
        w = np.asarray(w)
    for i in rows:
        out[i] = score(np.ascontiguousarray(w[i]), ctx.sample_rate, gain_uv=ctx.gain_uv)  # thread-safe
    return out


def _similar(w, args, ctx):
    from cortexlink.similarity.exact_search import within

    template, measure, threshold = ctx.template(args[0]), args[1], float(args[2])
    exact = len(args) > 3
    n_t, n_ch, length = w.shape
    if template.shape != (length,):
        raise InvalidParameterError(
            f"similar: the template has {template.size} samples but the window has "
            f"{length}; give a template as long as the data reference"
        )
    candidates = ctx.active.copy()
    if not exact:
        codes = ctx.window_codes(w, measure)  # (n_t, n_ch, tables)
        tcode = similar_family(measure, length).hash(template[None, :].astype(np.float64))[0]
        candidates &= (codes == tcode).any(axis=-1)
    out = np.zeros((n_t, n_ch))
    ti, ci = np.nonzero(candidates)
    if ti.size:
        picked = w.pick(ti, ci) if hasattr(w, "pick") else np.asarray(w)[ti, ci]
        # exact: for DTW the lower-bound cascade and early abandoning prune, the answer is unchanged
        hit = within(template.astype(np.float64), _uv(picked, ctx.gain_uv), threshold, measure)
        out[ti[hit], ci[hit]] = 1.0
    return out


def similar_family(measure: str, length: int):
    """The hash ``similar`` tests with when the store's own stream does not fit."""
    from cortexlink.similarity import make_hash

    return make_hash(measure, length, kind="sketch", n_tables=SIMILAR_TABLES)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("amplitude", (), 0, 1, False, _amplitude),
        Function("line_length", (), 0, 1, False, _line_length),
        Function("rate", ("num",), 0, 1, False, _rate),
        Function("band_power", ("num", "num"), 0, 2, False, _band_power),
        Function("similar", ("template", "measure", "num", "exact"), 1, 3, True, _similar, None),
        Function("seizure_detect", ("num",), 1, 4, True, _seizure, 0),
    )
}


def truth(fn: Function, call: Call, values: np.ndarray) -> np.ndarray:
    """A function standing alone as a test."""
    if fn.name == "seizure_detect":
        thr = float(call.args[1]) if len(call.args) > 1 else 0.5
        return values >= thr
    return values > 0.5


def _err(msg: str, pos) -> InvalidParameterError:
    from cortexlink.query.parser import QuerySyntaxError

    return QuerySyntaxError(msg, *pos)


def check_call(call: Call, standalone: bool) -> Function:
    fn = FUNCTIONS.get(call.name)
    if fn is None:
        raise _err(f"unknown function {call.name!r}; use one of {', '.join(FUNCTIONS)}", call.pos)
    n_max = 1 + len(fn.params)
    if not n_max - fn.optional <= len(call.args) <= n_max:
        raise _err(
            f"{call.name} takes {n_max - fn.optional}"
            f"{'' if not fn.optional else f' to {n_max}'} arguments, got {len(call.args)}",
            call.pos,
        )
    if not isinstance(call.args[0], Ref) or call.args[0].source != "data":
        raise _err(f"{call.name}'s first argument is a data reference, e.g. data[:][t-100:t]", call.pos)
    for kind, arg in zip(fn.params, call.args[1:], strict=False):
        ok = {
            "num": isinstance(arg, float),
            "template": isinstance(arg, Name | Str),
            "measure": isinstance(arg, Name) and arg.name in MEASURE_NAMES,
            "exact": isinstance(arg, Name) and arg.name == "exact",
        }[kind]
        if not ok:
            want = {
                "num": "a number",
                "template": "a template name or a quoted .npy path",
                "measure": f"a measure ({', '.join(MEASURE_NAMES)})",
                "exact": "the word exact",
            }[kind]
            raise _err(f"{call.name}: expected {want}, got {arg!r}", call.pos)
    if standalone and not fn.predicate:
        raise _err(f"{call.name}(...) gives a number; compare it, e.g. {call.name}(...) > 100", call.pos)
    return fn


def check_query(q: Query) -> None:
    """What the grammar cannot check: functions, arguments, ranges, and that t is bound."""
    from cortexlink.query.ast import And, Compare, Not, Or

    def walk(e):
        if isinstance(e, Call):
            check_call(e, standalone=True)
        elif isinstance(e, Compare):
            for side in (e.left, e.right):
                if isinstance(side, Call):
                    check_call(side, standalone=False)
        elif isinstance(e, And | Or):
            for i in e.items:
                walk(i)
        elif isinstance(e, Not):
            walk(e.item)

    if q.where is not None:
        walk(q.where)
    refs = list(q.select) + [
        a for c in (calls(q.where) if q.where is not None else []) for a in c.args if isinstance(a, Ref)
    ]
    for r in refs[len(q.select):]:
        if r.channels.matched:
            raise _err("'matched' channels name a row's result; use them in select only", r.pos)
    for r in refs:
        if r.start.bound != r.stop.bound:
            raise _err("a time range is either relative to t at both ends or at neither", r.pos)
        if not r.stop.offset > r.start.offset:
            raise _err(
                f"empty time range [{r.start.offset:g}:{r.stop.offset:g}] ms; the end must come after "
                "the start",
                r.pos,
            )
        for it in r.channels.items or ():
            if isinstance(it, tuple) and not it[1] > it[0]:
                raise _err(f"empty channel range {it[0]}:{it[1]}", r.pos)
    if q.step is not None and not q.step > 0:
        raise _err(f"step must be positive, got {q.step:g} ms", (0, 0))
    if q.limit is not None and q.limit < 1:
        raise _err(f"limit must be at least 1, got {q.limit}", (0, 0))


def call_function(call: Call) -> Function:
    return FUNCTIONS[call.name]


def call_ref(call: Call) -> Ref:
    ref = call.args[0]
    assert isinstance(ref, Ref)
    return ref


def arg_values(call: Call) -> list[Any]:
    return [a.name if isinstance(a, Name) else a for a in call.args[1:]]
