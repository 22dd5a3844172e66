"""Extracellular action-potential waveforms: biphasic or triphasic, 0.8-1.5 ms, sampled at any rate.

A waveform is a sum of three Gaussian bumps: an optional small positive pre-peak (triphasic,
as recorded near the axon), the sharp negative trough of the sodium current, and a slower positive
repolarisation peak. Its trough is the spike time the ground truth reports.
"""

from __future__ import annotations

import math

import numpy as np

#: Templates are summed in fixed point (1/FIXED_POINT uV) so that overlapping spikes add exactly,
#: whatever the order; that keeps chunked and whole output bit-identical.
FIXED_POINT = 64.0

TROUGH_MS = 0.6      # time of the trough after the template's first sample
WINDOW_MS = 2.4      # template length


def template_length(sample_rate: float) -> int:
    return max(2, int(round(WINDOW_MS * 1e-3 * sample_rate)))


def trough_index(sample_rate: float) -> int:
    return min(template_length(sample_rate) - 1, int(round(TROUGH_MS * 1e-3 * sample_rate)))


def waveform(sample_rate: float, amplitude_uv: float, width_ms: float, repol_ratio: float,
             pre_ratio: float, skew: float = 0.0) -> np.ndarray:
    """One template in uV, its trough ``-amplitude_uv`` at ``trough_index(sample_rate)``.

    ``width_ms`` is the waveform's duration (trough onset to end of repolarisation),
    ``repol_ratio`` the positive peak over the trough depth, ``pre_ratio`` the pre-peak (0 for a
    biphasic waveform), ``skew`` in [-1, 1] stretches or squeezes the repolarisation.
    """
    n = template_length(sample_rate)
    t = (np.arange(n) - trough_index(sample_rate)) / sample_rate * 1e3   # ms, trough at 0
    fine = np.linspace(t[0], t[-1], 20 * n)                             # to find the true trough
    s1 = 0.09 * width_ms
    d2 = (0.32 + 0.06 * skew) * width_ms
    s2 = (0.2 + 0.04 * skew) * width_ms

    def shape(x: np.ndarray) -> np.ndarray:
        y = -np.exp(-0.5 * (x / s1) ** 2)
        y += repol_ratio * np.exp(-0.5 * ((x - d2) / s2) ** 2)
        if pre_ratio > 0:
            y += pre_ratio * np.exp(-0.5 * ((x + 2.2 * s1) / (0.8 * s1)) ** 2)
        return y

    y = shape(t)
    y *= _taper(n)
    depth = -min(float(shape(fine).min()), float(y.min()))
    return (y * (amplitude_uv / depth)).astype(np.float64)


def _taper(n: int) -> np.ndarray:
    """Cosine ramps over the first 10% and last 25% so templates start and end at zero."""
    w = np.ones(n)
    a = max(1, n // 10)
    b = max(1, n // 4)
    w[:a] = 0.5 - 0.5 * np.cos(np.pi * np.arange(a) / a)
    w[n - b:] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(b) + 1) / b)
    return w


def random_waveforms(rng: np.random.Generator, n: int, sample_rate: float,
                     amplitude_range_uv: tuple[float, float], width_ms_range: tuple[float, float],
                     triphasic_fraction: float) -> np.ndarray:
    """``n`` distinct templates ``(n, template_length)`` in uV, amplitudes log-uniform in range."""
    out = np.zeros((n, template_length(sample_rate)))
    lo, hi = amplitude_range_uv
    for k in range(n):
        amp = math.exp(rng.uniform(math.log(lo), math.log(hi))) if hi > lo else lo
        width = rng.uniform(*width_ms_range)
        repol = rng.uniform(0.15, 0.5)
        pre = rng.uniform(0.1, 0.3) if rng.random() < triphasic_fraction else 0.0
        out[k] = waveform(sample_rate, amp, width, repol, pre, skew=rng.uniform(-1, 1))
    return out


def to_fixed_point(templates_uv: np.ndarray) -> np.ndarray:
    """Templates as int32 in units of 1/FIXED_POINT uV."""
    return np.round(np.asarray(templates_uv) * FIXED_POINT).astype(np.int32)
