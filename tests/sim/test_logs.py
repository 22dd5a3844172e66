"""SpikeLog and VelocityLog: appends, windowed reads and forgetting give the right spikes."""

import numpy as np

from cortexlink.sim.logs import SpikeLog, VelocityLog


def test_spike_log_reads_any_window_like_one_array():
    rng = np.random.default_rng(0)
    log = SpikeLog()
    all_samples, all_units = [], []
    t = 0
    for _ in range(3000):   # enough appends to trigger merging
        n = int(rng.integers(0, 4))
        s = np.sort(t + rng.integers(0, 30, n)).astype(np.int64)
        u = rng.integers(0, 9, n).astype(np.int32)
        log.append(s, u)
        all_samples.append(s)
        all_units.append(u)
        t += 30
    samples, units = np.concatenate(all_samples), np.concatenate(all_units)
    for start, stop in ((0, t), (12345, 45678), (t - 31, t), (t, t + 10), (500, 400)):
        got_s, got_u = log.since(start, stop)
        sel = (samples >= start) & (samples < stop)
        np.testing.assert_array_equal(got_s, samples[sel])
        np.testing.assert_array_equal(got_u, units[sel])
    log.forget_before(60000)
    kept, kept_units = log.since(0, t)
    np.testing.assert_array_equal(kept, samples[samples >= 60000])
    np.testing.assert_array_equal(kept_units, units[samples >= 60000])


def test_velocity_log_grows():
    log = VelocityLog()
    parts = [np.full((2, k), float(k)) for k in (1, 1000, 3, 5000)]
    for p in parts:
        log.append(p)
    np.testing.assert_array_equal(log.first(10 ** 6), np.concatenate(parts, axis=1))
    assert log.first(2).shape == (2, 2)
