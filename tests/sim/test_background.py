"""Background design: a pink spectrum, LFP at low frequencies, expected noise levels."""

import numpy as np
from scipy import signal

from cortexlink.sim import simulate
from cortexlink.sim.background import design_pink, lfp_design


def _band_power(x, fs, lo, hi):
    f, p = signal.welch(x, fs=fs, nperseg=1 << 15, axis=-1)
    sel = (f >= lo) & (f < hi)
    return p[..., sel].mean(axis=-1)


def test_pink_noise_falls_ten_db_per_decade():
    only_pink = simulate(4, 10.0, seed=1, task=None, unit_count_probs=(1.0,), lfp=False, thermal_noise_uv=0.0,
                         mua_rate_hz=0.0).recording.microvolts()
    p10 = _band_power(only_pink, 30000.0, 8, 12).mean()
    p100 = _band_power(only_pink, 30000.0, 80, 120).mean()
    p1000 = _band_power(only_pink, 30000.0, 800, 1200).mean()
    for ratio in (p10 / p100, p100 / p1000):
        assert 5 < ratio < 20


def test_pink_filter_unit_rms_matches_its_impulse_response():
    pf = design_pink(30000.0)
    white = np.random.default_rng(0).standard_normal(600000)
    out = signal.sosfilt(pf.sos(), white)[100000:]
    assert abs(out.std() / pf.unit_rms - 1) < 0.1


def test_lfp_resonators_have_unit_variance_and_low_frequency():
    coef = lfp_design(30000.0)
    rng = np.random.default_rng(0)
    for a1, a2, g in coef:
        e = rng.uniform(-1, 1, 300000)
        y = signal.lfilter([g], [1, -a1, -a2], e)[60000:]
        assert 0.7 < y.std() < 1.3
    lfp = simulate(4, 6.0, seed=2, task=None, unit_count_probs=(1.0,), thermal_noise_uv=0.0,
                   pink_noise_uv=0.0, mua_rate_hz=0.0, lfp_amplitude_uv=50.0).recording.microvolts()
    assert _band_power(lfp, 30000.0, 1, 40).mean() > 1e4 * _band_power(lfp, 30000.0, 500, 1000).mean()
    assert 20 < lfp.std(axis=1).mean() < 80
    assert np.corrcoef(lfp)[0, 1] > 0.5
