"""Propagation across sites: hash messages survive compression, true spread pairs are found with
the right lag sign, sites that never seize are never paired, a dead site stalls nobody, and the
protocol costs less than the all-pairs exact baseline."""

import numpy as np
import pytest

from cortexlink.core.errors import CorruptDataError
from cortexlink.seizure.multisite import run_multisite
from cortexlink.seizure.propagation import HashMessage, PropagationSite
from cortexlink.similarity import decompress_hashes

from .conftest import RATE


def _visible(scene):
    """When each seizing site's episode is plainly visible (half-way through: as a detector sees it)."""
    t = scene.truth
    return {s: t.seizure_onsets_s[s] + 0.5 * (t.seizure_offsets_s[s] - t.seizure_onsets_s[s])
            for s in t.seizure_onsets_s}


@pytest.fixture(scope="module")
def runs(spread_scene):
    detect = _visible(spread_scene)
    onsets = spread_scene.truth.seizure_onsets_s
    full = run_multisite(spread_scene.recordings, detect_times=detect, onset_times=onsets, chunk_s=0.1)
    dead = run_multisite(spread_scene.recordings, detect_times=detect, onset_times=onsets, chunk_s=0.1,
                         dead=["site1"])
    return full, dead


def test_true_pairs_found_with_the_right_lag_sign(runs, spread_scene):
    full, _ = runs
    onsets = spread_scene.truth.seizure_onsets_s
    summary = full.summary(onsets)
    assert summary["pair_recall"] > 0.5 and summary["pair_precision"] >= 0.5
    for p in full.propagations:
        true_lag = onsets.get(p.target, np.inf) - onsets.get(p.source, np.inf)
        if np.isfinite(true_lag):
            assert np.sign(p.lag) == np.sign(true_lag)
    assert full.stimulations and all(s.target != "site0" for s in full.stimulations)


def test_a_site_that_never_seizes_is_never_paired(runs):
    for result in runs:
        assert all("site3" not in (p.source, p.target) for p in result.propagations)


def test_a_dead_site_stalls_nobody(runs):
    full, dead = runs
    assert all("site1" != p.target for p in dead.propagations)
    assert ({(p.source, p.target) for p in full.propagations if "site1" not in (p.source, p.target)}
            <= {(p.source, p.target) for p in dead.propagations})


def test_protocol_costs_less_than_all_pairs(runs):
    full, _ = runs
    s = full.stats
    assert 0 < s.bytes_sent < s.baseline_bytes
    assert 0 < s.exact_comparisons < s.baseline_comparisons / 10


def test_hash_messages_round_trip_and_damage_is_caught(spread_scene):
    site = PropagationSite("a", RATE)
    rec = spread_scene.recordings["site0"]
    for chunk in rec.time_slice(0, 5).chunks(250):
        site.process(chunk)
    msg = site.on_detection(5.0, 4.0, n_sites=2)
    codes = decompress_hashes(msg.codes)
    assert codes.shape == (msg.n_windows, site.family.n_tables)
    expected = np.stack([site._held[s][0] for s in site._sent[5.0][0]])
    np.testing.assert_array_equal(codes, expected)
    other = PropagationSite("b", RATE)
    broken = HashMessage(msg.source, msg.detect_time, msg.onset_time, msg.n_windows,
                         msg.codes[:-5] + bytes(5))
    with pytest.raises(CorruptDataError):
        other.on_hash_message(broken)


def test_lost_chunks_keep_the_site_on_the_stream_clock(spread_scene):
    """A site fed with gaps (chunks lost upstream) still places its windows at stream time."""
    rec = spread_scene.recordings["site0"].time_slice(0, 4)
    whole, holey = PropagationSite("a", RATE), PropagationSite("a", RATE)
    for i, chunk in enumerate(rec.chunks(50)):
        whole.process(chunk)
        if i % 7 != 3:
            holey.process(chunk)
    assert holey._n == whole._n and holey._next_window == whole._next_window
