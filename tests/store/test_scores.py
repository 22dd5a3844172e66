"""Score streams: the values kept at record time equal the scorer on every window, in any
append/flush pattern, sealed or in the tail; they follow the signal's retention; and a query's
``seizure_detect`` read from them answers as computing it would."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import InvalidParameterError
from cortexlink.store import Retention, SiteStore, StoreWriter
from cortexlink.store import scores as sc
from cortexlink.store._zarr import open_array

RATE = 1000.0


def _mean_abs(data, rate, gain):
    return np.abs(data.astype(np.float64)).mean(axis=1) * gain + rate * 0


def _signal(n_channels=3, n=1500, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0, 30, (n_channels, n)), axis=1).astype(np.int16)


def _expected(x, window, hop, gain):
    n_j = x.shape[1] // hop
    out = np.full((x.shape[0], n_j), np.nan)
    for j in range(n_j):
        end = (j + 1) * hop
        if end >= window:
            out[:, j] = _mean_abs(x[:, end - window : end], RATE, gain)
    return out


@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 1499), max_size=10), flush_every=st.integers(1, 3),
       window=st.sampled_from([30, 100, 250]), hop=st.sampled_from([20, 50, 100]))
def test_stored_scores_equal_the_scorer_on_every_window(tmp_path_factory, cuts, flush_every, window, hop):
    x = _signal()
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sc.SCORERS, "meanabs", _mean_abs)
        w = StoreWriter(tmp_path_factory.mktemp("s") / "s", 3, RATE, fsync=False, chunk_ms=200,
                        hash_window_ms=0, gain_uv=0.5, scores={"meanabs": (window, hop)})
        bounds = [0, *sorted(set(cuts)), x.shape[1]]
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            w.append(x[:, a:b])
            if i % flush_every == 0:
                w.flush()
        w.flush()
    s = SiteStore(w.path)
    assert s.manifest["sealed"] == 7 and s.manifest["tail"]  # sealed chunks and a tail both read
    got = s.read_scores("meanabs", 0, x.shape[1] // hop)
    np.testing.assert_array_equal(got, _expected(x, window, hop, 0.5))
    np.testing.assert_array_equal(s.read_scores("meanabs", 3, 9, [2, 0]), got[[2, 0], 3:9])
    sealed = open_array(w.path, "score_meanabs")[:]  # zarr reads the sealed part
    np.testing.assert_array_equal(sealed, got[:, : sealed.shape[1]])
    assert sealed.shape == (3, 7 * 200 // hop)


def test_scores_follow_the_signal_retention_and_bad_specs_are_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(sc.SCORERS, "meanabs", _mean_abs)
    x = _signal(n=2000)
    w = StoreWriter(tmp_path / "s", 3, RATE, fsync=False, chunk_ms=200, hash_window_ms=0,
                    retention=Retention(seconds=0.5), scores={"meanabs": (100, 50)})
    for a in range(0, 2000, 100):
        w.append(x[:, a : a + 100])
        w.flush()
    s = SiteStore(w.path)
    first = s.manifest["first_chunk"]
    assert first > 0 and not (w.path / "score_meanabs" / f"0.{first - 1}").exists()
    assert (w.path / "score_meanabs" / f"0.{first}").exists()
    per = 200 // 50
    np.testing.assert_array_equal(s.read_scores("meanabs", first * per, 40),
                                  _expected(x, 100, 50, 1.0)[:, first * per : 40])
    with pytest.raises(InvalidParameterError, match="retained"):
        s.read_scores("meanabs", 0, 4)
    with pytest.raises(InvalidParameterError, match="no 'other'"):
        s.read_scores("other", first * per, 40)
    with pytest.raises(InvalidParameterError, match="must divide"):
        StoreWriter(tmp_path / "t", 3, RATE, chunk_ms=200, scores={"meanabs": (100, 30)})
    with pytest.raises(InvalidParameterError, match="unknown score stream"):
        StoreWriter(tmp_path / "u", 3, RATE, chunk_ms=200, scores={"nope": (100, 50)})


def test_seizure_detect_reads_the_stored_stream_and_answers_as_computing_it(tmp_path, monkeypatch):
    from cortexlink.query import functions as qf
    from cortexlink.query import query
    from cortexlink.query.execute import clear_cache

    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 4200)) * 60).astype(np.int16)
    x[1, 2000:] = (400 * np.sin(np.arange(2200) * 2 * np.pi * 8 / RATE)).astype(np.int16)
    w = StoreWriter(tmp_path / "a", 3, RATE, site="a", fsync=False, chunk_ms=1000, hash_window_ms=0,
                    gain_uv=0.5, scores={"seizure": (1000, 200)})
    for a in range(0, 4200, 300):
        w.append(x[:, a : a + 300])
        w.flush()
    stored = SiteStore(w.path)
    values = stored.read_scores("seizure", 4, 21)
    thr = float(np.median(values))
    text = f"from * select data[matched][t-200:t] where seizure_detect(data[:][t-1000:t], {thr!r}) step 200"
    clear_cache()
    with monkeypatch.context() as mp:  # the detector must not run: every window's score is stored
        mp.setattr(qf, "seizure_scorer", lambda: pytest.fail("the detector ran"))
        got = query(text, [stored])
    plain = SiteStore(w.path)
    plain.score_streams = {}  # the same store read as if it kept no scores: computed now
    clear_cache()
    want = query(text, [plain])
    assert 0 < len(got) < 17
    assert [(r.t_ms, r.channels.tolist()) for r in got] == [(r.t_ms, r.channels.tolist()) for r in want]
    for r, q in zip(got, want, strict=True):
        np.testing.assert_array_equal(r.values[0], q.values[0])


def test_scores_given_by_an_upstream_detector_are_stored_as_given(tmp_path, monkeypatch):
    from cortexlink.core.errors import InvalidDataError

    monkeypatch.setitem(sc.SCORERS, "meanabs", _mean_abs)
    x = _signal(n=600)
    w = StoreWriter(tmp_path / "s", 3, RATE, fsync=False, chunk_ms=200, hash_window_ms=0,
                    scores={"meanabs": (100, 50)})
    want = _expected(x, 100, 50, 1.0)
    w.append(x[:, :130])  # computed here
    w.append(x[:, 130:420], scores={"meanabs": want[:, 2:8] + 7})  # windows ending at 150..400: given
    with pytest.raises(InvalidDataError, match="one per channel"):
        w.append(x[:, 420:], scores={"meanabs": want[:, 8:11]})  # 180 samples end 4 windows, not 3
    w.append(x[:, 420:])
    w.flush()
    got = SiteStore(w.path).read_scores("meanabs", 0, 12)
    np.testing.assert_array_equal(got[:, 2:8], want[:, 2:8] + 7)
    np.testing.assert_array_equal(np.delete(got, np.s_[2:8], axis=1), np.delete(want, np.s_[2:8], axis=1))


def test_scores_read_during_writes_are_a_consistent_prefix(tmp_path, monkeypatch):
    import threading

    monkeypatch.setitem(sc.SCORERS, "meanabs", _mean_abs)
    x = _signal(n=4000)
    want = _expected(x, 100, 50, 1.0)
    w = StoreWriter(tmp_path / "s", 3, RATE, fsync=False, chunk_ms=200, hash_window_ms=0,
                    retention=Retention(seconds=1.0), scores={"meanabs": (100, 50)})
    done, seen, errors = threading.Event(), [], []

    def reader():
        s = SiteStore(w.path)
        while not done.is_set():
            s.refresh()
            first, stop = s.manifest["first_chunk"] * 4, s.n_samples // 50
            try:
                got = s.read_scores("meanabs", first, stop)
            except InvalidParameterError:  # left the retention while it was read
                continue
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
            if not np.array_equal(got, want[:, first:stop], equal_nan=True):
                errors.append(AssertionError(f"scores [{first}, {stop}) differ"))
                return
            seen.append(stop)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for a in range(0, 4000, 70):
            w.append(x[:, a : a + 70])
            w.flush()
    finally:
        done.set()
        t.join()
    assert not errors, errors[0]
    assert len(set(seen)) > 3 and seen == sorted(seen)
