"""IIR filters as second-order sections with state carried across chunks.

Filtering is a numba loop in transposed direct form II (the form ``scipy.signal.sosfilt`` uses),
state in float64, output float32. The loop runs time-outer, channel-inner on a transposed work
buffer so the per-section update vectorises across channels: for 1 ms chunks of 1024 channels
that beats ``sosfilt`` with ``zi`` (see ``benchmarks/dsp.py``). Initial state is zero, so a stream
filtered in any chunking equals ``sosfilt(sos, whole_signal)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.validation import check_positive
from cortexlink.dsp.block import Block

_TIME_BLOCK = 256  # samples per pass through the work buffer; bounds memory for long offline inputs
_CHANNEL_BLOCK = 128  # channels per pass: a 1 ms block of them (work rows, state) stays in L1
_TILE = 16  # channels per transpose tile (keeps both sides in cache)
_ROW_PAD = 16  # extra float32 columns of time-major output


@njit(cache=True, boundscheck=False, error_model="numpy")
def _to_rows(x: np.ndarray, c0: int, c1: int, t0: int, nt: int, work: np.ndarray) -> None:
    """``work[t, c - c0] = x[c, t0 + t]`` for channels ``c0 <= c < c1`` and ``t < nt``, in tiles."""
    n_full = c0 + (c1 - c0) // _TILE * _TILE
    for ct in range(c0, n_full, _TILE):
        for t in range(nt):
            for c in range(ct, ct + _TILE):
                work[t, c - c0] = x[c, t0 + t]
    for c in range(n_full, c1):
        for t in range(nt):
            work[t, c - c0] = x[c, t0 + t]


@njit(cache=True, boundscheck=False, error_model="numpy")
def _from_rows(work: np.ndarray, c0: int, c1: int, t0: int, nt: int, y: np.ndarray) -> None:
    """``y[c, t0 + t] = work[t, c - c0]``, the inverse of ``_to_rows``."""
    for c in range(c0, c1):
        for t in range(nt):
            y[c, t0 + t] = work[t, c - c0]


@njit(cache=True, boundscheck=False, error_model="numpy")
def _to_time_major(work: np.ndarray, c0: int, c1: int, t0: int, nt: int, y_tc: np.ndarray) -> None:
    """``y_tc[t0 + t, c] = work[t, c - c0]``: output kept time-major (rows of channels)."""
    for t in range(nt):
        out = y_tc[t0 + t, c0:c1]
        src = work[t, :c1 - c0]
        for c in range(c1 - c0):
            out[c] = src[c]


@njit(cache=True, boundscheck=False, error_model="numpy")
def _biquad_row(row: np.ndarray, z0: np.ndarray, z1: np.ndarray, b0: float, b1: float, b2: float,
                a1: float, a2: float) -> None:
    """One section, one sample, a block of channels: few enough arrays that LLVM's alias checks
    let the loop vectorise across channels (two sections in one loop had too many and ran scalar)."""
    for c in range(z0.shape[0]):
        v = row[c]
        out = b0 * v + z0[c]
        z0[c] = b1 * v - a1 * out + z1[c]
        z1[c] = b2 * v - a2 * out
        row[c] = out


@njit(cache=True, boundscheck=False, error_model="numpy")
def sosfilt_chunk(sos: np.ndarray, state: np.ndarray, x: np.ndarray, y: np.ndarray,
                  work: np.ndarray, time_major: bool = False) -> None:
    """Filter ``x`` (n_channels, n_samples) into ``y`` through ``sos`` (n_sections, 6); ``y`` is
    (n_channels, n_samples), or (n_samples, >= n_channels) with ``time_major``.

    ``state`` (n_sections, 2, n_channels) float64 is updated in place; ``work`` is a
    (time block, channel block) float64 scratch buffer. Each channel sees the same operations
    in the same order as a one-channel loop would, so results do not depend on the chunking.
    Channels go in blocks small enough that their samples and state stay in L1 while they are
    transposed, filtered and transposed back.
    """
    n_ch, n_s = x.shape
    n_sec = sos.shape[0]
    blk = work.shape[0]
    cblk = work.shape[1]
    for c0 in range(0, n_ch, cblk):
        c1 = min(c0 + cblk, n_ch)
        for t0 in range(0, n_s, blk):
            nt = min(blk, n_s - t0)
            _to_rows(x, c0, c1, t0, nt, work)
            for t in range(nt):
                row = work[t, :c1 - c0]
                for s in range(n_sec):
                    _biquad_row(row, state[s, 0, c0:c1], state[s, 1, c0:c1],
                                sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5])
            if time_major:
                _to_time_major(work, c0, c1, t0, nt, y)
            else:
                _from_rows(work, c0, c1, t0, nt, y)


class SOSFilter(Block):
    """Any IIR filter given as second-order sections ``sos`` (n_sections, 6), streamed."""

    linear = True

    def __init__(self, sos: np.ndarray, sample_rate: float) -> None:
        super().__init__(sample_rate)
        sos = np.asarray(sos, dtype=np.float64)
        if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] == 0:
            raise InvalidParameterError(f"sos must have shape (n_sections, 6), got {sos.shape}")
        if not np.isfinite(sos).all() or np.any(sos[:, 3] == 0):
            raise InvalidParameterError("sos holds non-finite coefficients or a zero a0; design it again")
        # normalise so a0 == 1, which the loop assumes
        self.sos = np.ascontiguousarray(sos / sos[:, 3:4])
        self._state = np.zeros((0, 2, 0))
        self._work = np.zeros((0, 0))
        self._rows = np.zeros((0, 0), dtype=np.float32)

    def _allocate(self, n_channels: int) -> None:
        self._state = np.zeros((self.sos.shape[0], 2, n_channels))
        self._work = np.empty((_TIME_BLOCK, min(n_channels, _CHANNEL_BLOCK)))

    def _reset_state(self) -> None:
        self._state = np.zeros((0, 2, 0))

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        out = np.empty(data.shape, dtype=np.float32)
        sosfilt_chunk(self.sos, self._state, data, out, self._work)
        return chunk.derive(out)

    def process_time_major(self, chunk: Chunk) -> np.ndarray:
        """``process`` for consumers that work across channels sample by sample: returns the
        filtered chunk time-major, ``rows[t, c]`` for ``t < n_samples``, ``c < n_channels`` (the
        values ``process`` returns, transposed; float32). ``rows`` is C-contiguous and may be wider
        than ``n_channels`` (padding). It is this block's scratch: the next call overwrites it."""
        data = self._checked_data(chunk, check_values=True)
        n_ch, n_s = data.shape
        rows = self._rows
        if not n_s <= rows.shape[0] <= max(4 * n_s, 32) or rows.shape[1] != n_ch + _ROW_PAD:
            # reused while chunk sizes stay alike (not kept huge after one long offline call);
            # padded rows: 4 KiB-apart rows would alias in L1 when read down a column
            rows = self._rows = np.empty((max(n_s, 32), n_ch + _ROW_PAD), dtype=np.float32)
        sosfilt_chunk(self.sos, self._state, data, rows, self._work, True)
        return rows


def _check_edge(freq: float | None, nyquist: float, name: str) -> float | None:
    if freq is None:
        return None
    f = check_positive(freq, f"{name} (Hz)")
    if f >= nyquist:
        raise InvalidParameterError(
            f"{name} of {f:g} Hz is at or above the Nyquist frequency {nyquist:g} Hz; "
            "lower it or use a higher sample rate"
        )
    return f


class ButterworthFilter(SOSFilter):
    """Butterworth band-pass (``low`` and ``high``), high-pass (``low`` only) or low-pass
    (``high`` only), ``order`` per edge, designed by ``scipy.signal.butter``."""

    def __init__(self, sample_rate: float, low: float | None = None, high: float | None = None,
                 order: int = 2) -> None:
        from scipy.signal import butter

        Block.__init__(self, sample_rate)  # validates the rate before it is used below
        nyq = self.sample_rate / 2
        lo = _check_edge(low, nyq, "low cut-off")
        hi = _check_edge(high, nyq, "high cut-off")
        if lo is None and hi is None:
            raise InvalidParameterError("give low (high-pass), high (low-pass) or both (band-pass) in Hz")
        if lo is not None and hi is not None and lo >= hi:
            raise InvalidParameterError(f"band-pass needs low < high, got low={lo:g} Hz, high={hi:g} Hz")
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 12:
            raise InvalidParameterError(f"order must be an integer from 1 to 12, got {order!r}")
        if lo is not None and hi is not None:
            sos = butter(int(order), [lo, hi], btype="bandpass", fs=self.sample_rate, output="sos")
        elif lo is not None:
            sos = butter(int(order), lo, btype="highpass", fs=self.sample_rate, output="sos")
        else:
            sos = butter(int(order), hi, btype="lowpass", fs=self.sample_rate, output="sos")
        self.low, self.high, self.order = lo, hi, int(order)
        super().__init__(sos, self.sample_rate)


class NotchFilter(SOSFilter):
    """Narrow band-stop at ``freq`` (line noise) and, with ``harmonics`` > 1, its multiples below
    Nyquist; each notch is ``scipy.signal.iirnotch`` with quality factor ``q``."""

    def __init__(self, sample_rate: float, freq: float = 60.0, q: float = 30.0, harmonics: int = 1) -> None:
        from scipy.signal import iirnotch, tf2sos

        Block.__init__(self, sample_rate)
        nyq = self.sample_rate / 2
        f0 = _check_edge(freq, nyq, "notch frequency")
        if f0 is None:
            raise InvalidParameterError("notch frequency must be given in Hz")
        if not isinstance(q, (int, float, np.number)) or not np.isfinite(q) or q <= 0:
            raise InvalidParameterError(f"notch quality factor q must be positive, got {q!r}")
        if isinstance(harmonics, bool) or not isinstance(harmonics, (int, np.integer)) or harmonics < 1:
            raise InvalidParameterError(f"harmonics must be a positive integer, got {harmonics!r}")
        freqs = [f0 * k for k in range(1, int(harmonics) + 1) if f0 * k < nyq]
        sections = [tf2sos(*iirnotch(f, q, fs=self.sample_rate)) for f in freqs]
        self.freqs, self.q = freqs, float(q)
        super().__init__(np.concatenate(sections), self.sample_rate)
