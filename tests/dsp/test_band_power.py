import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.dsp import BandPower

FS = 250.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, method=st.sampled_from(["welch", "fft"]), hop_s=st.sampled_from([0.1, 0.5, 3.0]))
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, method, hop_s):
    assert_chunk_invariant(BandPower(FS, window_s=2.0, hop_s=hop_s, method=method), spiky, cuts)


def test_alpha_rhythm_lands_in_the_alpha_band():
    t = np.arange(int(10 * FS)) / FS
    x = np.vstack([np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 20 * t)])
    x = x + np.random.default_rng(0).normal(0, 0.05, x.shape)
    bp = BandPower(FS)
    out = bp.apply(x)
    names = bp.feature_names([0, 1])
    assert names[:5] == ["0:delta", "0:theta", "0:alpha", "0:beta", "0:gamma"]
    assert out.shape == (10, (len(t) - 500) // 125 + 1)
    assert names[int(np.argmax(out[:5, 0]))] == "0:alpha"
    assert names[5 + int(np.argmax(out[5:, 0]))] == "1:beta"
    # a unit sine carries power 0.5; the Hann leakage outside the band is small
    assert out[2].mean() == pytest.approx(0.5, rel=0.1)


def test_matches_scipy_welch_on_a_window():
    x = np.random.default_rng(1).normal(size=(3, 1000))
    bp = BandPower(FS, bands={"low": (0, 20), "high": (20, 60)}, window_s=2.0, hop_s=1.0, segment_s=0.5)
    out = bp.apply(x)
    f, p = ss.welch(x[:, 250:750], fs=FS, nperseg=125, axis=-1)
    df = f[1] - f[0]
    np.testing.assert_allclose(out[0::2, 1], p[:, (f >= 0) & (f < 20)].sum(-1) * df, rtol=1e-5)
    np.testing.assert_allclose(out[1::2, 1], p[:, (f >= 20) & (f < 60)].sum(-1) * df, rtol=1e-5)


def test_log_power_and_recording_output():
    x = np.random.default_rng(2).normal(size=(2, 1000)).astype(np.float32)
    rec = Recording(x, FS, channel_ids=np.array(["Fz", "Cz"]))
    out = BandPower(FS, log=True).apply(rec)
    assert out.sample_rate == 2.0 and out.n_channels == 10
    assert list(out.channel_ids[:2]) == ["Fz:delta", "Fz:theta"]
    np.testing.assert_allclose(10 ** out.data, BandPower(FS).apply(x), rtol=1e-4)


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="Nyquist"):
        BandPower(100.0, bands={"gamma": (30, 80)})
    with pytest.raises(InvalidParameterError, match="no frequency bin"):
        BandPower(FS, bands={"thin": (10.1, 10.2)})
    with pytest.raises(InvalidParameterError, match="low < high"):
        BandPower(FS, bands={"x": (8, 4)})
    with pytest.raises(InvalidParameterError, match="'welch' or 'fft'"):
        BandPower(FS, method="multitaper")
    with pytest.raises(InvalidParameterError, match="at least one band"):
        BandPower(FS, bands={})


def test_real_scalp_eeg_any_chunking_equals_whole(data_dir, assert_chunk_invariant):
    from cortexlink.io.formats import open_recording

    # one channel of the 8-channel scalp recording (100 Hz): the default bands all fit below 50 Hz
    rec = open_recording(data_dir / "seizure" / "ombao_wang2018_8ch" / "c3.txt", sample_rate=100.0)
    bp = BandPower(rec.sample_rate)
    rng = np.random.default_rng(0)
    x = rec.data[:, :6000]
    for _ in range(3):
        assert_chunk_invariant(bp, x, sorted(rng.integers(0, x.shape[1], 15).tolist()))
