"""Live electrode health: dead, saturated and drifting channels, found while recording.

An implant's channels fail in a few typical ways: a broken lead reads a flat line, a channel
sticks at the ADC rail, and rising impedance shrinks the spikes and the noise while the baseline
wanders. ``ChannelMonitor`` watches every channel in windows of ``window_s``:

- on the raw signal: its SD (flat below ``flat_uv``) and the fraction of samples at the rail;
- on the spike band (``low``-``high`` Hz): the noise (median absolute deviation), threshold
  crossings at ``k`` times that noise (so thresholds are re-estimated as the noise drifts), their
  rate and mean peak amplitude.

The first ``baseline_s`` of each channel's healthy windows set its baseline. A fault (``dead``,
``saturated``) or a drift (``amplitude``, ``rate``, ``noise``: the window value more than
``drift_sd`` SDs of the baseline's window-to-window spread from its mean) must last ``hold``
windows in a row before it is reported, once, until the channel recovers. Windows are aligned to
the stream's samples, so any chunking gives the same statuses and events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.validation import check_positive
from cortexlink.dsp.block import samples_for
from cortexlink.dsp.filters import ButterworthFilter

OK, DEAD, SATURATED, DRIFTING = 0, 1, 2, 3
FAULT_KINDS = ("dead", "saturated")
DRIFT_KINDS = ("noise", "rate", "amplitude")  # the order of the spike-band rows
INT16_FULL_SCALE = 32767.0


@dataclass
class ChannelFault:
    """``channel`` became ``kind`` (dead or saturated) in the window ending at ``time_s``."""

    channel: int
    kind: str
    time_s: float

    def to_dict(self) -> dict:
        return {"event": "channel_fault", **asdict(self)}


@dataclass
class ChannelDrift:
    """``channel``'s ``kind`` (amplitude, rate or noise) left its baseline by ``score`` SDs."""

    channel: int
    kind: str
    time_s: float
    score: float
    value: float
    baseline: float

    def to_dict(self) -> dict:
        return {"event": "channel_drift", **asdict(self)}


@njit(cache=True)
def _window_stats(raw, band, noise, k, rail, dead_time, out):  # pragma: no cover - compiled
    """Per channel of one window: raw SD, fraction of samples at the rail, crossings of the spike
    band below ``-k * noise`` (one per ``dead_time`` samples) and their mean peak magnitude."""
    n_ch, w = raw.shape
    for c in range(n_ch):
        s = 0.0
        s2 = 0.0
        at_rail = 0
        for t in range(w):
            v = raw[c, t]
            s += v
            s2 += v * v
            if abs(v) >= 0.99 * rail:
                at_rail += 1
        mean = s / w
        out[0, c] = np.sqrt(max(s2 / w - mean * mean, 0.0))
        out[1, c] = at_rail / w
        thr = -k * noise[c]
        count = 0
        amp = 0.0
        t = 1
        while t < w:
            if band[c, t] < thr <= band[c, t - 1]:
                peak = band[c, t]
                for u in range(t + 1, min(w, t + dead_time)):
                    if band[c, u] < peak:
                        peak = band[c, u]
                count += 1
                amp -= peak
                t += dead_time
            else:
                t += 1
        out[2, c] = count
        out[3, c] = amp / count if count else np.nan


_NOISE_SAMPLES = 4096  # the median of |x| is taken over at most this many evenly spaced samples


def unusable(status: np.ndarray) -> np.ndarray:
    """Bool per channel: dead or saturated in ``status`` codes (drifting channels still carry signal)."""
    return np.isin(np.asarray(status), (DEAD, SATURATED))


@dataclass
class MonitorUpdate:
    """What one chunk completed: ``status`` (n_channels, n_windows) codes (OK, DEAD, SATURATED,
    DRIFTING) at ``window_rate`` Hz from window ``first_window``, and the new events."""

    status: np.ndarray
    first_window: int
    window_rate: float
    events: list[ChannelFault | ChannelDrift]


class ChannelMonitor:
    """Streaming electrode-health monitor over ``(n_channels, n_samples)`` chunks in microvolts
    (or ADC counts with ``gain_uv``); see the module docstring."""

    def __init__(self, sample_rate: float, gain_uv: float = 1.0, window_s: float = 0.5,
                 baseline_s: float = 10.0, hold: int = 3, drift_sd: float = 4.0, flat_uv: float = 0.5,
                 rail_fraction: float = 0.5, rail_uv: float | None = None, k: float = 4.5,
                 low: float = 300.0, high: float = 3000.0) -> None:
        self.gain_uv = check_positive(gain_uv, "gain_uv")
        self.window_s = check_positive(window_s, "window_s")
        self.baseline_windows = int(round(check_positive(baseline_s, "baseline_s") / window_s))
        if self.baseline_windows < 3 or int(hold) < 1 or not 0 < rail_fraction <= 1:
            raise InvalidParameterError(
                "need baseline_s of at least 3 windows, hold >= 1 and 0 < rail_fraction <= 1"
            )
        self.hold, self.drift_sd = int(hold), check_positive(drift_sd, "drift_sd")
        self.flat_uv, self.rail_fraction = check_positive(flat_uv, "flat_uv"), float(rail_fraction)
        self.rail = INT16_FULL_SCALE * self.gain_uv if rail_uv is None else check_positive(rail_uv, "rail_uv")
        self.k = check_positive(k, "k")
        self._filter = ButterworthFilter(sample_rate, low=low, high=high, order=2)
        self.sample_rate = self._filter.sample_rate
        self.window = samples_for(window_s, self.sample_rate, "window_s", minimum=16)
        self.dead_time = max(2, int(round(1e-3 * self.sample_rate)))
        self.reset()

    @property
    def window_rate(self) -> float:
        return self.sample_rate / self.window

    def reset(self) -> None:
        """Forget the stream and the baselines."""
        self._filter.reset()
        self._n: int | None = None
        self._windows_done = 0
        self.events: list[ChannelFault | ChannelDrift] = []

    def _allocate(self, n: int) -> None:
        self._n = n
        self._buf = np.zeros((2, n, self.window), dtype=np.float32)  # raw and spike band
        self._fill = 0
        self._base = np.zeros((3, n, self.baseline_windows))  # noise, rate, amplitude per window
        self._base_n = np.zeros(n, dtype=np.int64)
        self._mean = np.full((3, n), np.nan)
        self._sd = np.full((3, n), np.nan)
        self._run = np.zeros((5, n), dtype=np.int64)  # dead, saturated, noise, rate, amplitude
        self._active = np.zeros((5, n), dtype=bool)
        self.status = np.zeros(n, dtype=np.int8)

    def process(self, chunk: Chunk) -> MonitorUpdate:
        """Consume one chunk; statuses of the windows it completed and the events they raised."""
        uv = np.asarray(chunk.data, dtype=np.float32)
        if self.gain_uv != 1.0:
            uv = uv * np.float32(self.gain_uv)
        scaled = Chunk(np.ascontiguousarray(uv), chunk.start_sample, chunk.sample_rate, chunk.origin_ns)
        band = self._filter.process(scaled).data
        if self._n is None:
            self._allocate(uv.shape[0])
            self._first_sample = int(chunk.start_sample)
        first = self._windows_done
        statuses, events = [], []
        pos, total = 0, uv.shape[1]
        while pos < total:
            take = min(self.window - self._fill, total - pos)
            self._buf[0, :, self._fill:self._fill + take] = uv[:, pos:pos + take]
            self._buf[1, :, self._fill:self._fill + take] = band[:, pos:pos + take]
            self._fill += take
            pos += take
            if self._fill == self.window:
                statuses.append(self._complete_window(events))
                self._fill = 0
        status = np.stack(statuses, axis=1) if statuses else np.zeros((self._n, 0), dtype=np.int8)
        self.events.extend(events)
        return MonitorUpdate(status, first, self.window_rate, events)

    def _complete_window(self, events: list) -> np.ndarray:
        raw, band = self._buf
        step = max(1, self.window // _NOISE_SAMPLES)
        noise = np.median(np.abs(band[:, ::step]), axis=1).astype(np.float64) / 0.6745
        out = np.empty((4, self._n))
        _window_stats(raw, band, noise, self.k, self.rail, self.dead_time, out)
        self._windows_done += 1
        end_s = (self._first_sample + self._windows_done * self.window) / self.sample_rate
        stats = np.stack([noise, out[2] * self.window_rate, out[3]])  # noise, rate (Hz), amplitude
        return self._window(out[0], out[1], stats, end_s, events)

    def _window(self, sd: np.ndarray, rail: np.ndarray, stats: np.ndarray, end_s: float,
                events: list) -> np.ndarray:
        saturated = rail >= self.rail_fraction
        faults = np.stack([(sd < self.flat_uv) & ~saturated, saturated])
        healthy = ~faults.any(axis=0)
        self._learn(stats, healthy)
        with np.errstate(invalid="ignore"):
            score = (stats - self._mean) / self._sd
        drifting = (np.abs(score) > self.drift_sd) & healthy[None, :] & np.isfinite(score)
        flags = np.concatenate([faults, drifting])
        self._run = np.where(flags, self._run + 1, 0)
        held = self._run >= self.hold
        for row, channel in zip(*np.nonzero(held & ~self._active), strict=True):
            if row < 2:
                events.append(ChannelFault(int(channel), FAULT_KINDS[row], end_s))
            else:
                r = row - 2
                events.append(ChannelDrift(int(channel), DRIFT_KINDS[r], end_s, float(score[r, channel]),
                                           float(stats[r, channel]), float(self._mean[r, channel])))
        self._active = np.where(flags, self._active | held, False)
        status = np.where(self._active[2:].any(axis=0), DRIFTING, OK)
        status = np.where(self._active[1], SATURATED, status)
        self.status = np.where(self._active[0], DEAD, status).astype(np.int8)
        return self.status

    def _learn(self, stats: np.ndarray, healthy: np.ndarray) -> None:
        """Add this window to the baseline of healthy channels still learning theirs."""
        learning = healthy & (self._base_n < self.baseline_windows)
        idx = np.flatnonzero(learning)
        if idx.size == 0:
            return
        self._base[:, idx, self._base_n[idx]] = np.nan_to_num(stats[:, idx], nan=0.0)
        self._base_n[idx] += 1
        done = idx[self._base_n[idx] == self.baseline_windows]
        if done.size:
            b = self._base[:, done]
            self._mean[:, done] = b.mean(axis=-1)
            # spread of the window values, floored so a very steady channel does not fire on noise
            self._sd[:, done] = np.maximum(b.std(axis=-1, ddof=1), 0.05 * np.abs(b.mean(axis=-1)) + 1e-9)

    def baseline(self) -> dict[str, np.ndarray]:
        """Each channel's baseline mean of noise (uV), rate (Hz) and amplitude (uV); NaN: learning."""
        return {name: self._mean[i].copy() for i, name in enumerate(("noise", "rate", "amplitude"))}
