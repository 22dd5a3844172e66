"""Seizure features: chunked == offline, and each feature against a scipy / numpy reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps
from scipy import stats

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.seizure.features import SeizureFeatures, default_bands

FS = 200.0


def _signal(n_ch=3, seconds=4.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(FS * seconds)) / FS
    x = rng.normal(size=(n_ch, t.size))
    x[0] += 5 * np.sin(2 * np.pi * 10 * t)
    x[1 % n_ch] += 5 * np.sin(2 * np.pi * 10 * t + 0.2)
    return x.astype(np.float32)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=8))
def test_chunked_equals_offline(cuts):
    x = _signal()
    block = SeizureFeatures(FS, window_s=1.0, step_s=0.25)
    whole = block.apply(x)
    block.reset()
    parts, pos = [], 0
    for n in cuts + [x.shape[1]]:
        piece = x[:, pos:pos + n]
        if piece.shape[1] == 0:
            break
        parts.append(block.process(Chunk(np.ascontiguousarray(piece), pos, FS)).data)
        pos += piece.shape[1]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, rtol=1e-5, atol=1e-5)


def _one(name, x, **kw):
    block = SeizureFeatures(FS, window_s=2.0, step_s=2.0, **kw)
    feats = block.transform(x)
    return feats[..., block.names.index(name)], block


def test_sine_band_power_lands_in_its_band():
    t = np.arange(int(FS * 2)) / FS
    x = np.sin(2 * np.pi * 10 * t)[None]
    block = SeizureFeatures(FS, window_s=2.0, step_s=2.0, features=["band_power"])
    f = dict(zip(block.names, block.transform(x)[0, 0], strict=True))
    assert max((f[f"power:{b}"], b) for b in block.bands)[1] == "alpha"
    freqs, psd = sps.periodogram(x[0], FS, window="hann")
    ref = psd[(freqs >= 8) & (freqs < 13)].sum() * (freqs[1] - freqs[0])
    assert f["power:alpha"] == pytest.approx(np.log10(ref), abs=1e-4)
    assert f["relative:alpha"] > -0.01


def test_filter_bank_energy_matches_sosfilt():
    x = _signal(1, 4.0)
    got, block = _one("energy:beta", x, features=["filter_bank"])
    sos = sps.butter(2, [13, 30], btype="bandpass", fs=FS, output="sos")
    y = sps.sosfilt(sos, x[0].astype(np.float64))
    ref = [np.log10(np.mean(y[i:i + 400] ** 2)) for i in range(0, y.size - 399, 400)]
    np.testing.assert_allclose(got[:, 0], ref, rtol=1e-4)


def test_line_length_and_amplitude_match_references():
    x = _signal(2, 4.0)
    w = x[0, 400:800].astype(np.float64)
    ll, _ = _one("line_length", x, features=["line_length"])
    assert ll[1, 0] == pytest.approx(np.log10(np.abs(np.diff(w)).mean()), rel=1e-4)
    for name, ref in [("kurtosis", stats.kurtosis(w)), ("skewness", stats.skew(w)),
                      ("log_std", np.log10(w.std())), ("log_ptp", np.log10(np.ptp(w)))]:
        got, _ = _one(name, x, features=["amplitude"])
        assert got[1, 0] == pytest.approx(ref, rel=1e-3, abs=1e-4), name


def test_xcor_matches_corrcoef():
    x = _signal(3, 2.0)
    block = SeizureFeatures(FS, window_s=2.0, step_s=2.0, features=["xcor"])
    f = block.transform(x)[0]
    c = np.abs(np.corrcoef(x.astype(np.float64)))
    np.fill_diagonal(c, 0)
    np.testing.assert_allclose(f[:, 0], c.sum(1) / 2, rtol=1e-4)
    np.testing.assert_allclose(f[:, 1], c.max(1), rtol=1e-4)
    assert f[0, 1] > 0.8 > f[2, 1]


def test_default_bands_follow_rate_and_window():
    assert "ripple" in default_bands(30000.0, 1.0) and "ripple" not in default_bands(256.0, 1.0)
    assert "delta" not in default_bands(30000.0, 0.004)
    with pytest.raises(InvalidParameterError):
        default_bands(10.0, 0.1)


def test_bad_input_is_a_clear_error():
    with pytest.raises(InvalidParameterError, match="unknown seizure feature"):
        SeizureFeatures(FS, features=["wavelet"])
    x = _signal(2, 2.0)
    x[0, 5] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        SeizureFeatures(FS).apply(x)
