"""Site store: bit-exact round trip in any append/flush pattern, zarr reads it, retention, the time
index and events, damaged or newer stores rejected, a reader during writes sees a consistent
prefix, and a SIGKILLed writer loses nothing it acknowledged."""

import json
import textwrap
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import CorruptDataError, InvalidParameterError, UnsupportedFormatError
from cortexlink.store import Retention, SiteStore, StoreWriter, find_stores
from cortexlink.store._zarr import open_array

from ..nodes.helpers import acknowledged_before_sigkill

RATE = 1000.0


def _signal(n_channels=3, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return (np.cumsum(rng.normal(0, 30, (n_channels, n)), axis=1)).astype(np.int16)


def _write(path, x, cuts, flush_every=2, **kw):
    w = StoreWriter(
        path,
        x.shape[0],
        RATE,
        fsync=False,
        chunk_ms=kw.pop("chunk_ms", 200),
        hash_window_ms=kw.pop("hash_window_ms", 20),
        **kw,
    )
    bounds = [0, *sorted(set(cuts)), x.shape[1]]
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        w.append(x[:, a:b], a, 10_000 + a)
        if i % flush_every == 0:
            w.flush()
    return w


@settings(max_examples=6, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 1199), max_size=12),
    flush_every=st.integers(1, 4),
    a=st.integers(0, 1200),
    length=st.integers(0, 1200),
    chans=st.sets(st.integers(0, 2), min_size=1),
)
def test_round_trip_is_bit_exact_whatever_the_appends_and_flushes(
    tmp_path_factory, cuts, flush_every, a, length, chans
):
    x = _signal(n=1200)
    w = _write(tmp_path_factory.mktemp("s") / "s", x, cuts, flush_every)
    w.flush()
    s = SiteStore(w.path)
    b = min(1200, a + length)
    ch = sorted(chans)
    np.testing.assert_array_equal(s.read(a, b, ch), x[ch, a:b])
    rows = s.time_index()
    assert rows[:, 2].sum() == 1200 and (rows[:, 1] == rows[:, 0]).all()


def test_zarr_reads_the_sealed_signal_and_hashes_match_hashing_the_signal(tmp_path):
    x = _signal()
    w = _write(tmp_path / "s", x, range(37, 2000, 37))
    w.close()
    z = open_array(w.path, "signal")
    assert z.shape == (3, 2000) and z.chunks == (1, 200)
    np.testing.assert_array_equal(z[:, :], x)
    s = SiteStore(w.path)
    codes = s.read_hashes(10, 100)
    fam = s.hash_family
    windows = x[:, 200:2000].astype(np.float64).reshape(3, -1, 20)
    np.testing.assert_array_equal(codes, fam.hash(windows.reshape(-1, 20)).reshape(3, 90, -1))
    assert s.closed and s.summary()["sealed_chunks"] == 10


def test_tail_hashes_and_reads_before_the_first_seal(tmp_path):
    x = _signal(n=150)
    w = _write(tmp_path / "s", x, [50, 90], flush_every=1)
    s = SiteStore(w.path)
    assert s.n_samples == 150 and s.manifest["sealed"] == 0
    np.testing.assert_array_equal(s.read(0, 150), x)
    assert s.read_hashes(0, 7).shape == (3, 7, 8)


def test_retention_keeps_the_budget_and_drops_the_oldest(tmp_path):
    x = _signal(n=3000)
    w = _write(
        tmp_path / "s",
        x,
        range(100, 3000, 100),
        flush_every=1,
        retention=Retention(signal_bytes=2500, event_bytes=200),
    )
    for i in range(10):
        w.add_events([{"sample": 300 * i, "kind": "spike", "channel": 1, "value": 1.5, "note": "x" * 40}])
        w.flush()
    w.close()
    s = SiteStore(w.path)
    m = s.manifest
    kept = m["sealed"] - m["first_chunk"]
    assert 1 <= kept < 15 and m["bytes"]["signal"] <= 2500 or kept == 1
    first = s.first_sample
    assert first > 0 and first % 200 == 0
    np.testing.assert_array_equal(s.read(first, 3000), x[:, first:])
    with pytest.raises(InvalidParameterError, match="outside its retention"):
        s.read(first - 1, first + 10)
    on_disk = sum(p.stat().st_size for p in (w.path / "signal").glob("*.*") if p.name[0] != ".")
    assert on_disk == m["bytes"]["signal"]
    events = s.events()
    assert events and events[-1]["sample"] == 2700 and len(events) < 10
    assert sum(p.stat().st_size for p in (w.path / "events").glob("*.json")) <= 200


def test_retention_by_age(tmp_path):
    w = _write(
        tmp_path / "s",
        _signal(n=2000),
        range(100, 2000, 100),
        flush_every=1,
        retention=Retention(seconds=0.5),
    )
    w.flush()
    s = SiteStore(w.path)
    assert 2000 - s.first_sample <= 500 + 200


def test_events_and_their_payloads(tmp_path):
    class Detection:
        def to_dict(self):
            return {"time_s": 0.25, "kind": "SeizureEvent", "channel": 2, "value": 0.9, "sites": ["a"]}

    w = _write(tmp_path / "s", _signal(n=400), [])
    w.add_events([Detection(), {"sample": 10, "kind": "spike", "channel": None, "payload": {"unit": 3}}])
    w.flush()
    s = SiteStore(w.path)
    assert s.events() == [
        {
            "sample": 10,
            "kind": "spike",
            "channel": -1,
            "value": pytest.approx(np.nan, nan_ok=True),
            "payload": {"unit": 3},
        },
        {"sample": 250, "kind": "SeizureEvent", "channel": 2, "value": 0.9, "payload": {"sites": ["a"]}},
    ]
    assert [e["sample"] for e in s.events(100, 300, kind="SeizureEvent")] == [250]


def test_damaged_or_newer_stores_give_clear_errors(tmp_path):
    w = _write(tmp_path / "s", _signal(n=1000), [333])
    w.close()
    chunk = w.path / "signal" / "1.2"
    chunk.write_bytes(chunk.read_bytes()[:20])
    with pytest.raises(CorruptDataError, match=r"signal/1\.2"):
        SiteStore(w.path).read(0, 1000)
    SiteStore(w.path).read(0, 1000, [0, 2])  # other channels' chunks are intact
    attrs = json.loads((w.path / ".zattrs").read_text())
    attrs["cortexlink_store"]["version"] = 99
    (w.path / ".zattrs").write_text(json.dumps(attrs))
    with pytest.raises(UnsupportedFormatError, match="version 99"):
        SiteStore(w.path)
    (w.path / ".zattrs").write_text("{broken")
    with pytest.raises(CorruptDataError):
        SiteStore(w.path)
    with pytest.raises(InvalidParameterError, match="already exists"):
        StoreWriter(w.path, 3, RATE)


def test_reader_during_writes_sees_a_consistent_prefix(tmp_path):
    x = _signal(n=6000)
    w = StoreWriter(
        tmp_path / "s",
        3,
        RATE,
        chunk_ms=200,
        hash_window_ms=20,
        fsync=False,
        retention=Retention(seconds=2.0),
    )
    done = threading.Event()
    seen = []

    def reader():
        s = SiteStore(w.path)
        while not done.is_set():
            s.refresh()
            n, first = s.n_samples, s.first_sample
            try:
                got = s.read(first, n)
            except InvalidParameterError:  # the range left the retention while it was read
                continue
            np.testing.assert_array_equal(got, x[:, first:n])
            seen.append(n)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for a in range(0, 6000, 70):
            w.append(x[:, a : a + 70])
            w.flush()
    finally:
        done.set()
        t.join()
    assert len(set(seen)) > 3 and seen == sorted(seen)


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from cortexlink.store import StoreWriter
    w = StoreWriter(sys.argv[1], 3, 1000.0, chunk_ms=100, hash_window_ms=0)
    i = 0
    while True:
        data = ((np.arange(3 * 30).reshape(3, 30) * 7 + 13 * i) % 2000).astype(np.int16)
        w.append(data, 30 * i, i)
        i += 1
        if i % 3 == 0:
            print(w.flush(), flush=True)
""")


def test_sigkilled_writer_loses_nothing_acknowledged_and_the_store_opens(tmp_path):
    acked = acknowledged_before_sigkill(WRITER, tmp_path / "s", 400)
    s = find_stores([tmp_path])[0]
    assert s.n_samples >= acked
    data = s.read(0, s.n_samples)
    for i in range(s.n_samples // 30):
        expected = ((np.arange(90).reshape(3, 30) * 7 + 13 * i) % 2000).astype(np.int16)
        np.testing.assert_array_equal(data[:, 30 * i : 30 * i + 30], expected)
