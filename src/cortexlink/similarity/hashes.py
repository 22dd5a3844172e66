"""Locality-sensitive hash families for signal windows, one interface for every measure.

- ``SketchHash`` (``kind="sketch"``: DTW, Euclidean and cross-correlation, as in SSH and Hull):
  a zero-mean random filter slides over the window in steps of ``step`` and each dot product's
  sign is one sketch bit; the counts of the ``ngram``-bit words of the sketch (2**ngram bins) go
  through a consistent weighted min-hash (0-bit ICWS, fixed cost per window). Because the filter
  has zero mean, the codes of a window and of its z-normalised copy are the same.
- ``PStableHash`` (the default for every measure): p-stable projections of the z-normalised
  window, quantised as ``floor((a.x + b) / width)``: Cauchy (L1) of its cumulative sum for EMD,
  Gaussian (L2) of the window for Euclidean and for cross-correlation (whose queries are hashed
  at ``n_lags`` lags, ``probes``), Gaussian of its running max and min (envelopes, radius half the DTW
  band) for DTW. DTW, Euclidean and XCOR queries are multi-probe (``multiprobe`` buckets either
  side in every table, ``lookup``): stored windows are ranked by the squared distance from the
  query's projections to the centres of their buckets, an estimate of the feature distance read
  from the stored codes, rather than by the number of tables they share with the query. The DTW
  family also keeps a PAA summary of every window (``paa``: the mean of every 2 samples of the
  z-normalised window, ``summarise``); a ranked look-up re-ranks its ``shortlist`` (the best half
  by hash score) by DTW between summaries (``summary.rank_candidates``). On Bonn, Dog_1 and
  Neuralink windows the sketch hash kept about 0.1 of the true DTW, Euclidean or XCOR top 10 at
  95% pruned; these keep 0.70-0.94 (DTW by hash score alone), 0.975-1.00 (DTW re-ranked by its
  summaries), 0.95-1.00 (XCOR), 1.00 (Euclidean, EMD).

Each family hashes ``(n_windows, window)`` to ``uint64`` codes ``(n_windows, n_tables)``: table
``t`` folds ``per_table`` hashes into one code, so two windows collide in a table only if all of its
hashes agree (precision), and they are candidates if they collide in any table (recall).
``config`` is a JSON-safe dict; ``hash_from_config(config)`` rebuilds the same family (random
draws come from ``seed``). ``make_hash(measure, window)`` gives the documented settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from cortexlink.core.errors import InvalidParameterError, NotFittedError
from cortexlink.similarity._checks import as_windows, check_int, check_measure
from cortexlink.similarity.hash_kernels import (
    envelope_features,
    icws_keys,
    paa_features,
    pstable_neighbours,
    pstable_windows,
    sketch_windows,
)
from cortexlink.similarity.summary import paa_band

__all__ = ["DEFAULT_KIND", "MEASURE_FAMILIES", "PSTABLE_DEFAULTS", "SKETCH_DEFAULTS", "HashFamily",
           "Lookup", "PStableHash", "SketchHash", "hash_from_config", "make_hash", "znormalise"]

# Settings per kind and measure, for a window of ``window`` samples (fractions scale with it).
# One hash per table: candidates are ranked by how many tables they collide in (the operating point
# that measured best on Bonn, Dog_1 and Neuralink windows; benchmarks/similarity.py, README).
SKETCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "dtw": {"filter_frac": 0.125, "step_frac": 1 / 30, "ngram": 4, "per_table": 1, "n_tables": 64},
    "euclidean": {"filter_frac": 0.125, "step_frac": 1 / 30, "ngram": 6, "per_table": 1, "n_tables": 64},
    "xcor": {"filter_frac": 0.125, "step_frac": 1 / 30, "ngram": 3, "per_table": 1, "n_tables": 64},
}
# DTW, Euclidean and XCOR queries probe 3 buckets either side in every table (multi-probe) and rank
# windows by the summed squared distance of the query's projections to their buckets' centres; with
# buckets one median projected distance wide, 3 each side cover nearly every window's bucket.
# XCOR queries are hashed at 33 lags across the lag bound: with 17, a stored window's best lag could
# lie 3 samples from every probe of a 400-sample window (Dog_1 top-10 recall 0.89 -> 0.945 at 33).
# DTW: the envelope projections only shortlist (the best half by hash score keeps 0.98-1.0 of the
# true top 10 with 64 tables, as with 256); DTW between PAA-2 summaries ranks the shortlist (PAA-3:
# 0.955-0.97 of the top 10 at 95% pruned on Bonn, PAA-2: 0.985-1.0).
PSTABLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dtw": {"per_table": 1, "n_tables": 64, "width_factor": 1.0, "multiprobe": 3, "radius_frac": 1 / 20,
            "paa": 2, "shortlist": 0.5},
    "euclidean": {"per_table": 1, "n_tables": 256, "width_factor": 1.0, "multiprobe": 3},
    "xcor": {"per_table": 1, "n_tables": 256, "width_factor": 1.0, "multiprobe": 3, "lag_frac": 1 / 4,
             "n_lags": 33},
    "emd": {"per_table": 1, "n_tables": 128, "width_factor": 1.0},
}
#: the kind ``make_hash`` gives each measure by default
DEFAULT_KIND = {"dtw": "pstable", "euclidean": "pstable", "xcor": "pstable", "emd": "pstable"}
MEASURE_FAMILIES = tuple(DEFAULT_KIND)


@dataclass(frozen=True)
class Lookup:
    """A query's look-up: ``codes (n_probes, n_tables, n_alt)``, the ``weights`` of a collision with
    each code and a ``floor`` per probe; a stored window's score is its best probe's ``floor`` plus
    the weights of the codes it collides with (``HashIndex.query(codes, weights=, floor=)``)."""

    codes: np.ndarray    # uint64
    weights: np.ndarray  # float64, same shape
    floor: np.ndarray    # float64, (n_probes,)


class HashFamily:
    """Base of the hash families: ``hash(windows)``, ``config`` and ``fit``."""

    kind: ClassVar[str]
    #: PAA factor of the summary kept beside the codes (0: none), and the share of windows a ranked
    #: look-up re-ranks by it (``summary.rank_candidates``)
    paa: int = 0
    shortlist: float = 1.0

    def __init__(self, window: int, n_tables: int, per_table: int, seed: int, measure: str) -> None:
        self.window = check_int(window, "window (samples per hashed window)", 2)
        self.n_tables = check_int(n_tables, "n_tables (hash tables, i.e. bands)", 1)
        self.per_table = check_int(per_table, "per_table (hashes folded into one table's code)", 1)
        self.seed = check_int(seed, "seed", 0)
        self.measure = check_measure(measure)

    def probes(self, query: np.ndarray) -> np.ndarray:
        """The windows to hash for one query ``(n_probes, window)``; its candidates are the stored
        windows colliding with any probe (votes: the best probe's). Most families: just the query."""
        return query[None, :]

    def lookup(self, query: np.ndarray) -> Lookup:
        """What ``HashIndex.query`` looks up for one query: the codes of its probes, one per table
        and each weighted 1, so a stored window's score is the number of tables it collides in."""
        codes = self.hash(self.probes(query))[:, :, None]
        return Lookup(codes, np.ones(codes.shape), np.zeros(codes.shape[0]))

    def fit(self, windows: np.ndarray) -> HashFamily:
        """Calibrate data-dependent settings on example windows (a no-op for sketch hashes)."""
        self._checked(windows)
        return self

    @property
    def fitted(self) -> bool:
        """Whether the family can hash (p-stable families need ``fit`` or a ``width`` first)."""
        return True

    @property
    def summary_size(self) -> int:
        """Values in each window's summary (``summarise``); 0 when the family keeps none."""
        return self.window // self.paa if self.paa else 0

    def summarise(self, windows: np.ndarray) -> np.ndarray:
        """``(n_windows, summary_size)`` float32: the PAA of each z-normalised window (none: 0 columns)."""
        arr = self._checked(windows)
        return paa_features(arr, self.paa) if self.paa else np.zeros((arr.shape[0], 0), dtype=np.float32)

    def hash(self, windows: np.ndarray) -> np.ndarray:
        """``uint64`` codes ``(n_windows, n_tables)`` of windows ``(n_windows, window)``."""
        return self._hash(self._checked(windows))

    @property
    def config(self) -> dict[str, Any]:
        """JSON-safe settings; ``hash_from_config(config)`` rebuilds an identical family."""
        return {"kind": self.kind, "measure": self.measure, "window": self.window,
                "n_tables": self.n_tables, "per_table": self.per_table, "seed": self.seed,
                **self._extra_config()}

    def _checked(self, windows: np.ndarray) -> np.ndarray:
        arr = as_windows(windows)
        if arr.shape[1] != self.window:
            raise InvalidParameterError(f"this {self.measure} hash is set up for windows of {self.window} "
                                        f"samples, got {arr.shape[1]}; build one with window="
                                        f"{arr.shape[1]}")
        return arr

    def _hash(self, windows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _extra_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"


class SketchHash(HashFamily):
    """Sign sketch -> n-gram counts -> consistent weighted min-hash (SSH with Hull's fixed-cost min-hash)."""

    kind = "sketch"

    def __init__(self, window: int, filter_length: int, step: int, ngram: int, n_tables: int = 64,
                 per_table: int = 1, seed: int = 0, measure: str = "dtw") -> None:
        super().__init__(window, n_tables, per_table, seed, measure)
        self.filter_length = check_int(filter_length, "filter_length (samples)", 2)
        self.step = check_int(step, "step (samples between sub-windows)", 1)
        self.ngram = check_int(ngram, "ngram (sketch bits per word)", 1)
        if self.filter_length > self.window:
            raise InvalidParameterError(f"filter_length {self.filter_length} is longer than the window "
                                        f"({self.window}); use a shorter filter")
        if (self.window - self.filter_length) % self.step:
            raise InvalidParameterError(
                f"window - filter_length ({self.window - self.filter_length}) must be a multiple of step "
                f"({self.step}) so every sub-window lies on the step grid; adjust filter_length")
        self.n_sub = (self.window - self.filter_length) // self.step + 1
        if self.ngram > min(self.n_sub, 16):
            raise InvalidParameterError(f"ngram {self.ngram} must be <= 16 and <= the {self.n_sub} sketch "
                                        "bits of a window; use a smaller ngram or a smaller step")
        rng = np.random.default_rng(self.seed)
        filt = rng.standard_normal(self.filter_length)
        self.filter = filt - filt.mean()
        self.keys = icws_keys(rng, self.n_tables * self.per_table, 2 ** self.ngram,
                              self.n_sub - self.ngram + 1)

    def _hash(self, windows: np.ndarray) -> np.ndarray:
        return sketch_windows(windows, self.filter, self.step, self.ngram, self.keys, self.per_table,
                              self.n_tables)

    def _extra_config(self) -> dict[str, Any]:
        return {"filter_length": self.filter_length, "step": self.step, "ngram": self.ngram}


class PStableHash(HashFamily):
    """Quantised p-stable projections of the z-normalised window, ``floor((a.x + b) / width)``.

    For ``measure="emd"`` the projections are Cauchy (1-stable) of the window's cumulative sum, so
    collisions follow the L1 distance of cumulative sums (1-D EMD); for ``"euclidean"`` they are
    Gaussian (2-stable) of the window itself (L2).
    """

    kind = "pstable"
    MEASURES: ClassVar[tuple[str, ...]] = ("emd", "euclidean", "dtw", "xcor")

    def __init__(self, window: int, n_tables: int = 128, per_table: int = 1, seed: int = 0,
                 width: float | None = None, width_factor: float = 1.0, measure: str = "emd",
                 radius: int | None = None, max_lag: int | None = None, multiprobe: int = 0,
                 n_lags: int | None = None, paa: int = 0, shortlist: float = 0.5) -> None:
        super().__init__(window, n_tables, per_table, seed, measure)
        self.paa = check_int(paa, "paa (samples averaged per summary value; 0 = no summary)", 0)
        if self.paa and (self.measure != "dtw" or self.paa > self.window):
            raise InvalidParameterError(f"paa summaries re-rank DTW candidates and need paa <= the window "
                                        f"({self.window}); got paa={paa} for {self.measure}: set paa=0")
        ok = isinstance(shortlist, (int, float)) and not isinstance(shortlist, bool)
        self.shortlist = float(shortlist) if ok else float("nan")
        if not 0 < self.shortlist <= 1:
            raise InvalidParameterError(f"shortlist is the share of windows re-ranked by their summaries "
                                        f"(0 < s <= 1), got {shortlist!r}")
        self.multiprobe = check_int(multiprobe, "multiprobe (neighbouring buckets probed each side)", 0)
        if self.multiprobe and self.per_table != 1:
            raise InvalidParameterError("multiprobe looks up the buckets next to the query's in each table, "
                                        "which needs one hash per table; set per_table=1 or multiprobe=0")
        self.radius = None if radius is None else check_int(radius, "radius (envelope half-width)", 1)
        if (self.radius is None) != (self.measure != "dtw"):
            raise InvalidParameterError("a p-stable DTW hash needs radius= (the envelope half-width in "
                                        "samples, e.g. half the DTW band); the other measures take none")
        self.max_lag = None if max_lag is None else check_int(max_lag, "max_lag (samples)", 0)
        if (self.max_lag is None) != (self.measure != "xcor"):
            raise InvalidParameterError("a p-stable XCOR hash needs max_lag= (the measure's lag bound in "
                                        "samples); the other measures take none")
        self.n_lags = None if n_lags is None else check_int(n_lags, "n_lags (lags of an XCOR query)", 1)
        if self.n_lags is not None and self.max_lag is None:
            raise InvalidParameterError("n_lags is the number of lags an XCOR query is hashed at; only a "
                                        "p-stable XCOR hash takes it")
        if self.measure not in self.MEASURES:
            raise InvalidParameterError(f"a p-stable hash serves {' or '.join(self.MEASURES)}, "
                                        f"not {measure!r}")
        self.width_factor = float(width_factor)
        if not self.width_factor > 0:
            raise InvalidParameterError(f"width_factor must be positive, got {width_factor!r}")
        self.width = None if width is None else float(width)
        if self.width is not None and not self.width > 0:
            raise InvalidParameterError(f"width must be positive, got {width!r}")
        rng = np.random.default_rng(self.seed)
        n_hashes = self.n_tables * self.per_table
        if self.measure == "emd":
            a = rng.standard_cauchy((n_hashes, self.window))
            # a . cumsum(x) == (reverse cumulative sum of a) . x: one dot product per hash
            a = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
        else:   # euclidean, xcor: the window; dtw: its upper and lower envelopes side by side
            a = rng.standard_normal((n_hashes, self.window * (2 if self.measure == "dtw" else 1)))
        self.projection = np.ascontiguousarray(a.T)
        self.offsets = rng.uniform(0.0, 1.0, n_hashes)

    def fit(self, windows: np.ndarray) -> PStableHash:
        """Set ``width`` to ``width_factor`` times the median projected distance between windows."""
        arr = self._checked(windows)
        if arr.shape[0] < 2:
            raise InvalidParameterError("fit needs at least 2 windows to measure their spread")
        rng = np.random.default_rng(self.seed)
        i = rng.integers(0, arr.shape[0], 512)
        j = rng.integers(0, arr.shape[0], 512)
        keep = i != j
        if not keep.any():
            raise InvalidParameterError("fit needs at least 2 different windows to measure their spread")
        projected = self._features(arr) @ self.projection
        spread = float(np.median(np.abs(projected[i[keep]] - projected[j[keep]])))
        self.width = self.width_factor * spread if spread > 0 else 1.0
        return self

    @property
    def fitted(self) -> bool:
        return self.width is not None

    def _hash(self, windows: np.ndarray) -> np.ndarray:
        width = self._width()
        projected = self._features(windows) @ self.projection
        return pstable_windows(projected, self.offsets * width, width, self.per_table, self.n_tables)

    def lookup(self, query: np.ndarray) -> Lookup:
        """With ``multiprobe = m``, each probe looks up its own bucket and the ``m`` on either side in
        every table, weighted so that a stored window's score is minus the squared distance (in bucket
        widths, summed over tables) from the query's projections to the centres of the window's buckets:
        a Johnson-Lindenstrauss estimate of the feature distance, from the stored codes alone."""
        if not self.multiprobe:
            return super().lookup(query)
        probes = self._checked(self.probes(query))
        projected = self._features(probes) @ self.projection
        codes, weights, floor = pstable_neighbours(projected, self.offsets * self._width(), self._width(),
                                                   self.multiprobe)
        return Lookup(codes, weights, floor)

    @property
    def summary_band(self) -> int:
        """The DTW band the summaries are compared with: twice the envelope radius (the band the
        family is set up for), divided by ``paa``."""
        return paa_band(2 * (self.radius or 1), self.paa or 1)

    def _width(self) -> float:
        if self.width is None:
            raise NotFittedError(f"this {self.measure} hash has no bucket width yet; call fit(windows) "
                                 "or pass width=")
        return self.width

    def _features(self, windows: np.ndarray) -> np.ndarray:
        """What is projected: the z-normalised windows, or for DTW their running max and min over
        ``2 radius + 1`` samples (a small warp barely moves an envelope, so L2 between envelopes
        follows DTW far better than L2 between the windows)."""
        if self.measure == "dtw":
            return envelope_features(windows, self.radius)   # z-normalises each row itself
        return znormalise(windows)

    def probes(self, query: np.ndarray) -> np.ndarray:
        """For XCOR, the query shifted by ``n_lags`` lags (9 unless set) across ``-max_lag..max_lag``,
        zeros shifted in: a stored window near any of them is near the query at some lag. Others: the
        query."""
        if self.max_lag is None or self.max_lag == 0:
            return query[None, :]
        z = znormalise(query[None, :])[0]
        lags = np.unique(np.linspace(-self.max_lag, self.max_lag, self.n_lags or 9).round().astype(int))
        out = np.zeros((lags.size, z.size))
        for row, lag in zip(out, lags, strict=True):
            if lag >= 0:
                row[lag:] = z[:z.size - lag]
            else:
                row[:lag] = z[-lag:]
        return out

    def _extra_config(self) -> dict[str, Any]:
        extra = {"width": self.width, "width_factor": self.width_factor, "multiprobe": self.multiprobe}
        if self.radius is not None:
            extra["radius"] = self.radius
        if self.max_lag is not None:
            extra["max_lag"] = self.max_lag
        if self.n_lags is not None:
            extra["n_lags"] = self.n_lags
        if self.paa:
            extra.update(paa=self.paa, shortlist=self.shortlist)
        return extra


def znormalise(windows: np.ndarray) -> np.ndarray:
    """Each row minus its mean over its standard deviation (flat rows become zeros)."""
    centred = windows - windows.mean(axis=1, keepdims=True)
    sd = centred.std(axis=1, keepdims=True)
    return centred / np.where(sd > 0, sd, 1.0)


def make_hash(measure: str, window: int, seed: int = 0, kind: str | None = None,
              **overrides: Any) -> HashFamily:
    """The hash family for ``measure`` with the documented defaults for this window length.

    ``kind`` is "sketch" (SSH/Hull: DTW, Euclidean, XCOR) or "pstable" (DTW, Euclidean, EMD);
    default ``DEFAULT_KIND[measure]``. ``overrides`` replace any setting (``n_tables``,
    ``per_table``, ``ngram``, ``filter_length``, ``step``, ``width_factor``, ``radius``, ...).
    p-stable families still need ``fit(windows)`` (or ``width=``) before they hash; with
    ``per_table`` > 1 they default to ``multiprobe=0`` (multi-probe needs one hash per table).
    """
    measure = check_measure(measure)
    window = check_int(window, "window (samples per hashed window)", 2)
    kind = DEFAULT_KIND[measure] if kind is None else kind
    table = {"sketch": SKETCH_DEFAULTS, "pstable": PSTABLE_DEFAULTS}.get(kind)
    if table is None or measure not in table:
        kinds = [k for k, t in (("sketch", SKETCH_DEFAULTS), ("pstable", PSTABLE_DEFAULTS)) if measure in t]
        raise InvalidParameterError(f"no {kind!r} hash for {measure}; choose kind from {', '.join(kinds)}")
    settings = dict(table[measure])
    if kind == "pstable":
        if "radius_frac" in settings:
            settings["radius"] = max(1, round(window * settings.pop("radius_frac")))
        if "lag_frac" in settings:   # the measure's own default lag bound (xcor_distance)
            settings["max_lag"] = int(window * settings.pop("lag_frac"))
        settings.update(overrides)
        if settings.get("per_table") != 1 and "multiprobe" not in overrides:
            settings["multiprobe"] = 0   # multi-probe looks up neighbouring buckets of one-hash tables
        return PStableHash(window, seed=seed, measure=measure, **settings)
    filter_frac = settings.pop("filter_frac")
    step_frac = settings.pop("step_frac")
    step = max(1, round(window * step_frac))
    filter_length = max(2, round(window * filter_frac))
    settings.update(step=step, filter_length=filter_length)
    settings.update(overrides)
    step, filter_length = settings["step"], settings["filter_length"]
    if isinstance(step, int) and isinstance(filter_length, int) and step > 0 and window > filter_length:
        settings["filter_length"] = filter_length + (window - filter_length) % step
    return SketchHash(window, seed=seed, measure=measure, **settings)


def hash_from_config(config: dict[str, Any]) -> HashFamily:
    """Rebuild a hash family from its ``config`` dict."""
    if not isinstance(config, dict) or "kind" not in config:
        raise InvalidParameterError("a hash config is a dict with a 'kind' key, as HashFamily.config gives")
    settings = dict(config)
    kind = settings.pop("kind")
    cls = {"sketch": SketchHash, "pstable": PStableHash}.get(kind)
    if cls is None:
        raise InvalidParameterError(f"unknown hash kind {kind!r}; expected 'sketch' or 'pstable'")
    try:
        return cls(**settings)
    except TypeError as exc:
        raise InvalidParameterError(f"hash config does not fit a {kind} hash: {exc}") from None
