"""Noise estimates a stream makes on itself: any chunking gives the same numbers as the whole."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.noise import NoiseEstimate, noise_level, spike_free_mad

FS = 30000.0


def _noisy(seed: int = 0, n: int = 30000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(4, n)) * np.array([[1.0], [5.0], [20.0], [0.3]])).astype(np.float32)
    x[2, ::150] -= 400.0  # a busy large unit on channel 2
    return x


def _chunked(x: np.ndarray, n: int, estimator: str, cuts: list[int]) -> np.ndarray:
    """The estimate of ``x[:, :n]`` fed cut at ``cuts``; the last chunk runs on past ``n``."""
    est = NoiseEstimate(x.shape[0], n, FS, estimator)
    edges = [0, *cuts, x.shape[1]]
    out = None
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        assert out is None
        out = est.add(x[:, a:b])
    return out


@pytest.mark.parametrize("estimator", ["mad", "rms", "robust"])
def test_any_chunking_gives_the_whole_segments_estimate(estimator):
    x = _noisy()
    whole = noise_level(x, FS, estimator)
    for cuts in ([1, 2, 3], [30, 60, 12345], list(range(30, 30000, 30))):
        padded = np.concatenate([x, np.full((4, 50), 1e6, np.float32)], axis=1)  # past the segment: unused
        np.testing.assert_allclose(_chunked(padded, x.shape[1], estimator, cuts), whole, rtol=1e-12)


def test_mad_is_the_median_absolute_value_over_0_6745():
    x = _noisy(1)
    exact = np.median(np.abs(x.astype(np.float64)), axis=1) / 0.6745
    np.testing.assert_allclose(noise_level(x, FS, "mad"), exact, rtol=2e-3)
    assert abs(noise_level(x, FS, "mad")[1] / 5.0 - 1) < 0.03  # the sigma of Gaussian noise
    spiky_rms = noise_level(x, FS, "rms")[2]
    assert spiky_rms > 1.5 * noise_level(x, FS, "mad")[2]  # spikes inflate a plain RMS, not the median


def test_rms_and_robust_are_the_plain_and_spike_free_estimates():
    x = _noisy(2)
    np.testing.assert_allclose(noise_level(x, FS, "rms"), np.sqrt((x.astype(np.float64) ** 2).mean(axis=1)))
    spike_free = spike_free_mad(np.abs(x.astype(np.float64)), 30)
    np.testing.assert_array_equal(noise_level(x, FS, "robust"), spike_free)


def test_needed_counts_down_and_zero_signal_is_zero_noise():
    est = NoiseEstimate(2, 100, FS, "mad")
    assert est.needed == 100 and est.add(np.zeros((2, 60))) is None and est.needed == 40
    np.testing.assert_array_equal(est.add(np.zeros((2, 60))), [0.0, 0.0])


def test_unknown_estimator_is_refused():
    with pytest.raises(InvalidParameterError, match="mad, rms, robust"):
        NoiseEstimate(1, 10, FS, "max")
