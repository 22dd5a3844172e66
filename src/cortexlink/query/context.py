"""What a ``where`` function sees of one store: its windows (read lazily), the store's hash and score
streams when they fit the windows, and the query's templates."""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.query.functions import similar_family
from cortexlink.query.planner import SitePlan


class SiteContext:
    """What a function sees of the store beside its windows."""

    def __init__(self, store, plan: SitePlan, params: dict[str, Any]) -> None:
        self.store, self.plan, self.params = store, plan, params
        self.sample_rate, self.gain_uv = store.sample_rate, store.gain_uv
        self.active: np.ndarray = np.zeros((0, 0), bool)
        self.window_starts: np.ndarray = np.zeros(0, np.int64)
        self.channels: list[int] = []

    def template(self, arg: Any) -> np.ndarray:
        return load_template(arg, self.params)

    def stored_scores(self, name: str, length: int) -> np.ndarray | None:
        """``(n_t, n_channels)`` values of the windows from the store's score stream ``name``, or
        None when it keeps none that fits (another window length, ends off its hop, not retained)."""
        st, starts = self.store, self.window_starts
        sp = st.score_streams.get(name)
        if sp is None or sp["window"] != length or not starts.size:
            return None
        ends = starts + length
        if (ends % sp["hop"]).any():
            return None
        j = ends // sp["hop"] - 1
        j0, j1 = int(j.min()), int(j.max()) + 1
        if j0 < st.manifest["first_chunk"] * (st.chunk // sp["hop"]) or j1 * sp["hop"] > st.n_samples:
            return None
        vals = st.read_scores(name, j0, j1, self.channels)  # (n_ch, j1 - j0)
        return vals[:, j - j0].T.astype(np.float64)

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
        flat = np.asarray(w, dtype=np.float64).reshape(-1, length)
        return fam.hash(flat).reshape(w.shape[0], w.shape[1], -1)


class Windows:
    """The windows a function is asked about, ``(n_t, n_channels, length)``, read from the store only
    when needed: ``np.asarray(w)`` reads them all, ``w.pick(ti, ci)`` only the given
    (window, channel) pairs (what a test on stored hashes or scores leaves to check)."""

    def __init__(self, store, starts: np.ndarray, channels: list[int], length: int) -> None:
        self.store, self.starts, self.channels, self.length = store, starts, list(channels), length
        self.shape = (starts.size, len(self.channels), length)
        self._all: np.ndarray | None = None

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if self._all is None:
            self._all = self._read(np.arange(self.starts.size), list(range(len(self.channels))))
        return self._all if dtype is None else self._all.astype(dtype)

    def _read(self, rows: np.ndarray, cols: list[int]) -> np.ndarray:
        starts = self.starts[rows]
        lo = int(starts.min())
        block = self.store.read(lo, int(starts.max()) + self.length, [self.channels[c] for c in cols])
        view = np.lib.stride_tricks.sliding_window_view(block, self.length, axis=1)
        return view[:, starts - lo].transpose(1, 0, 2)

    def pick(self, ti: np.ndarray, ci: np.ndarray) -> np.ndarray:
        """Windows of the pairs ``(ti[i], ci[i])`` as ``(len(ti), length)``."""
        if self._all is not None:
            return self._all[ti, ci]
        rows, r_inv = np.unique(ti, return_inverse=True)
        cols, c_inv = np.unique(ci, return_inverse=True)
        return self._read(rows, cols.tolist())[r_inv, c_inv]


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
