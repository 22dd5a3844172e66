import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp import ButterworthFilter, SpikeBandPower

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, bin_ms=st.sampled_from([1.0, 0.5, 3.3]))
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, bin_ms):
    assert_chunk_invariant(SpikeBandPower(FS, bin_ms=bin_ms), spiky, cuts)


def test_equals_filter_square_and_bin_mean(spiky):
    sbp = SpikeBandPower(FS)
    out = sbp.apply(spiky)
    assert sbp.output_rate == 1000.0 and out.shape == (4, 100)
    y = ss.sosfilt(ButterworthFilter(FS, 250, 5000).sos, spiky.astype(np.float64), axis=-1)
    ref = (y ** 2).reshape(4, 100, 30).mean(-1)
    np.testing.assert_allclose(out, ref, rtol=1e-4)


def test_prefiltered_input_is_only_squared_and_binned():
    x = np.random.default_rng(0).normal(0, 3, (2, 300)).astype(np.float32)
    out = SpikeBandPower(FS, band=None, bin_ms=2.0).apply(x)
    np.testing.assert_allclose(out, (x.astype(np.float64) ** 2).reshape(2, 5, 60).mean(-1), rtol=1e-6)


def test_power_is_higher_in_band_than_out_of_band():
    t = np.arange(30000) / FS
    x = np.vstack([np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 20 * t)]) * 10
    out = SpikeBandPower(FS).apply(x)[:, 100:]
    assert out[0].mean() == pytest.approx(50.0, rel=0.05)  # mean of (10 sin)^2
    assert out[1].mean() < 0.1


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="Nyquist"):
        SpikeBandPower(10000.0)  # 5000 Hz edge at Nyquist
    with pytest.raises(InvalidParameterError, match="low_hz, high_hz"):
        SpikeBandPower(FS, band=(250,))
