"""Multi-site scenes: own populations per site, seizures spreading with delays, faults."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import Fault, MotorSimulator, SceneSimulator, simulate_scene


@pytest.fixture(scope="module")
def seizure_scene():
    return simulate_scene(n_sites=3, channels_per_site=8, seconds=6.0, seizure=True, seizure_onset_site=1,
                          seizure_onset_s=1.0, seizure_duration_s=3.0, spread_delays_s=[0.8, 0.0, 1.6],
                          seed=4, lfp=False)


def _slow_rms(rec, window_s=0.25):
    """RMS per window of the channel mean, averaged over 1 ms first (keeps the 3-20 Hz rhythm)."""
    x = rec.microvolts().mean(axis=0)
    ms = int(rec.sample_rate / 1000)
    x = x[: x.size // ms * ms].reshape(-1, ms).mean(axis=1)
    n = int(window_s * 1000)
    x = x[: x.size // n * n].reshape(-1, n)
    return x.std(axis=1)


def test_sites_are_named_with_their_own_populations(seizure_scene):
    assert list(seizure_scene.sites) == ["site0", "site1", "site2"]
    recs = seizure_scene.recordings
    assert [r.site for r in recs.values()] == ["site0", "site1", "site2"]
    truths = seizure_scene.truths
    assert not np.array_equal(truths["site0"].templates_uv[:1], truths["site1"].templates_uv[:1])
    # one subject: the same behaviour at every site
    np.testing.assert_array_equal(truths["site0"].velocity, truths["site2"].velocity)


def test_seizure_onsets_follow_the_delays(seizure_scene):
    t = seizure_scene.truth
    assert t.seizure_onset_site == "site1"
    assert t.seizure_onsets_s == pytest.approx({"site0": 1.8, "site1": 1.0, "site2": 2.6})
    order = sorted(t.seizure_onsets_s, key=t.seizure_onsets_s.get)
    assert order == ["site1", "site0", "site2"]
    for site in t.sites:
        assert t.seizure_offsets_s[site] == pytest.approx(t.seizure_onsets_s[site] + 3.0)


def test_seizure_activity_starts_at_each_sites_onset(seizure_scene):
    """Slow-wave amplitude per 0.25 s window rises well above baseline only after the site's onset."""
    t = seizure_scene.truth
    detected = {}
    for site, rec in seizure_scene.recordings.items():
        rms = _slow_rms(rec)
        baseline = np.median(rms[:3])
        above = np.flatnonzero(rms > 3.0 * baseline)
        detected[site] = above[0] * 0.25
        assert detected[site] >= t.seizure_onsets_s[site] - 0.01
        assert detected[site] <= t.seizure_onsets_s[site] + 2.0
    assert sorted(detected, key=detected.get) == ["site1", "site0", "site2"]


def test_seizure_raises_unit_firing(seizure_scene):
    truth = seizure_scene.truths["site1"]
    onset, offset = 1.0 * 30000, 4.0 * 30000
    before = np.count_nonzero(truth.spike_samples < onset) / 1.0
    late = np.count_nonzero((truth.spike_samples >= onset + 60000) & (truth.spike_samples < offset)) / 1.0
    assert late > 1.5 * before


def test_default_faults_one_of_each_kind():
    scene = simulate_scene(n_sites=2, channels_per_site=8, seconds=3.0, faults=True, seed=1)
    kinds = sorted(f.kind for f in scene.truth.faults)
    assert kinds == ["dead", "drift", "saturation"]
    for f in scene.truth.faults:
        data = scene.recordings[f.site].data[f.channel]
        after = data[int(np.ceil(f.start_s * 30000)):]
        if f.kind == "dead":
            assert np.all(after == 0)
        elif f.kind == "saturation":
            assert np.all(after == 32767)
        else:
            first, last = after[:15000].astype(float), after[-15000:].astype(float)
            assert np.std(np.diff(last)) < 0.85 * np.std(np.diff(first))
        assert f in scene.truths[f.site].extra["faults"]


def test_explicit_faults_by_index_or_name():
    faults = [Fault("dead", "site1", 3, start_s=0.5), {"kind": "saturation", "site": 0, "channel": 2}]
    scene = simulate_scene(n_sites=2, channels_per_site=4, seconds=1.0, faults=faults, seed=0)
    assert [(f.kind, f.site, f.channel) for f in scene.truth.faults] == [("dead", "site1", 3),
                                                                           ("saturation", "site0", 2)]
    dead = scene.recordings["site1"].data[3]
    assert np.any(dead[:15000] != 0) and np.all(dead[15000:] == 0)


def test_scene_streams_equal_recorded_scene():
    kwargs = dict(n_sites=2, channels_per_site=4, seizure=True, seizure_onset_s=0.1, seizure_duration_s=0.3,
                  faults=True, seed=8, seconds=0.5)
    recorded = simulate_scene(**kwargs)
    scene = SceneSimulator(2, 4, 30000.0, 8, seizure=True, seizure_onset_s=0.1, seizure_duration_s=0.3,
                           faults=True, seconds=0.5)
    for name, sim in scene.simulators.items():
        assert isinstance(sim, MotorSimulator)
        chunks = [c.data for _, c in zip(range(500), sim.stream(1.0), strict=False)]
        np.testing.assert_array_equal(np.concatenate(chunks, axis=1), recorded.recordings[name].data)


def test_scene_closed_loop_reaches_every_site():
    scene = SceneSimulator(3, 2, seed=1, seconds=1.0)
    scene.set_intended_velocity((5.0, -5.0))
    for sim in scene.simulators.values():
        np.testing.assert_array_equal(sim.current_velocity, [5.0, -5.0])


@pytest.mark.parametrize("kwargs, words", [
    ({"n_sites": 0}, "n_sites"),
    ({"channels_per_site": 0}, "n_channels"),
    ({"seizure": True, "spread_delays_s": [0.0]}, "one non-negative delay"),
    ({"seizure": True, "spread_delays_s": [1.0, 0.0]}, "onset site 0 must have delay 0"),
    ({"seizure": True, "spread_delays_s": [0.0, -1.0]}, "non-negative"),
    ({"seizure": True, "seizure_onset_site": 5}, "seizure_onset_site"),
    ({"faults": [Fault("dead", "site7", 0)]}, "site7"),
    ({"faults": [{"kind": "melted", "site": 0, "channel": 0}]}, "unknown fault kind"),
    ({"faults": [Fault("dead", "site0", 99)]}, "out of range"),
    ({"faults": [{"kind": "dead", "channel": 0}]}, "needs kind, site and channel"),
    ({"faults": ["dead"]}, "a fault is a Fault or a dict"),
])
def test_bad_scene_parameters(kwargs, words):
    with pytest.raises(InvalidParameterError, match=words):
        simulate_scene(**{"n_sites": 2, "channels_per_site": 4, "seconds": 0.1, **kwargs})


def test_truth_of_a_recording_cuts_seizures_at_its_end():
    """4 s, three sites 1 s apart: the last site's episode (3.0-4.6 s) ends with the recording, and a
    fourth site, reached only at 4 s, has no seizure in it."""
    scene = simulate_scene(n_sites=4, channels_per_site=2, seconds=4.0, sample_rate=2000.0, seizure=True,
                           task=None)
    t = scene.truth
    assert t.seizure_onsets_s == pytest.approx({"site0": 1.0, "site1": 2.0, "site2": 3.0})
    assert t.seizure_offsets_s == pytest.approx({"site0": 2.6, "site1": 3.6, "site2": 4.0})
    assert t.seizure_beyond_end_s == pytest.approx({"site2": (3.0, 4.6), "site3": (4.0, 5.6)})
    assert max(t.seizure_offsets_s.values()) <= scene.recordings["site2"].duration
    assert scene.truths["site2"].extra["seizure_offset_s"] == pytest.approx(4.0)
    assert scene.truths["site3"].extra["seizure_onset_s"] is None
