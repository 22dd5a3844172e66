"""Segment log: round trip, damaged files rejected, and acknowledged chunks survive SIGKILL."""

import json
import textwrap

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import (
    CorruptDataError,
    InvalidDataError,
    InvalidParameterError,
    RecordingNotFoundError,
)
from cortexlink.io import open_recording
from cortexlink.store.segments import SegmentLogWriter, export_stream, read_segment_log

from ..nodes.helpers import acknowledged_before_sigkill


def _chunk(i: int, n_channels: int = 4, n: int = 30) -> Chunk:
    data = (np.arange(n_channels * n, dtype=np.int64).reshape(n_channels, n) + 7 * i).astype(np.int16)
    return Chunk(data, i * n, 30000.0, 1000 + i)


def test_round_trip_in_order_with_several_streams(tmp_path):
    w = SegmentLogWriter(tmp_path / "rec", {"raw": (4, "int16", 30000.0), "vel": (2, "float32", 100.0)},
                         capacity_samples=16)
    for i in range(10):
        w.append("raw", _chunk(i))
        if i % 3 == 0:
            w.append("vel", Chunk(np.full((2, 1), i, np.float32), i, 100.0, i))
        if i % 4 == 3:
            assert w.flush()["raw"] == i + 1
    assert w.close() == {"raw": 10, "vel": 4}
    rec = read_segment_log(tmp_path / "rec")
    raw = rec["raw"]
    assert raw.n_chunks == 10 and raw.data.shape == (4, 300) and raw.sample_rate == 30000.0
    for i, c in enumerate(raw.chunks()):
        np.testing.assert_array_equal(c.data, _chunk(i).data)
        assert (c.start_sample, c.origin_ns) == (i * 30, 1000 + i)
    assert rec["vel"].data[0].tolist() == [0, 3, 6, 9]
    assert rec["raw"].to_recording().n_samples == 300


def test_wrong_channel_count_and_existing_folder_are_rejected(tmp_path):
    w = SegmentLogWriter(tmp_path / "rec", {"raw": (4, "int16", 1000.0)})
    with pytest.raises(InvalidDataError, match="4 channels"):
        w.append("raw", _chunk(0, n_channels=3))
    with pytest.raises(InvalidParameterError, match="already exists"):
        SegmentLogWriter(tmp_path / "rec", {"raw": (4, "int16", 1000.0)})
    SegmentLogWriter(tmp_path / "rec", {"other": (1, "float32", 100.0)})  # another stream may join
    with pytest.raises(InvalidParameterError, match="folder"):
        SegmentLogWriter(tmp_path / "rec2", {"../x": (4, "int16", 1000.0)})


def test_damaged_segments_and_index_are_reported(tmp_path):
    w = SegmentLogWriter(tmp_path / "rec", {"raw": (4, "int16", 1000.0)})
    w.append("raw", _chunk(0))
    w.flush()
    (tmp_path / "rec" / "raw" / "seg-00000001.npz.tmp").write_bytes(b"half a file")  # ignored
    assert read_segment_log(tmp_path / "rec")["raw"].n_chunks == 1
    (tmp_path / "rec" / "raw" / "seg-00000001.npz").write_bytes(b"garbage")
    with pytest.raises(CorruptDataError, match="seg-00000001"):
        read_segment_log(tmp_path / "rec")
    index = tmp_path / "rec" / "raw" / "stream.json"
    meta = json.loads(index.read_text())
    meta["n_channels"] = 5
    (tmp_path / "rec" / "raw" / "seg-00000001.npz").unlink()
    index.write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match="declared shape"):
        read_segment_log(tmp_path / "rec")
    index.write_text("{not json")
    with pytest.raises(CorruptDataError, match="JSON"):
        read_segment_log(tmp_path / "rec")


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from cortexlink.core.chunk import Chunk
    from cortexlink.store.segments import SegmentLogWriter
    w = SegmentLogWriter(sys.argv[1], {"raw": (4, "int16", 30000.0)})
    i = 0
    while True:
        data = (np.arange(120, dtype=np.int64).reshape(4, 30) + 7 * i).astype(np.int16)
        w.append("raw", Chunk(data, i * 30, 30000.0, 1000 + i))
        i += 1
        if i % 5 == 0:
            print(w.flush()["raw"], flush=True)
""")


def test_acknowledged_chunks_survive_sigkill_of_the_writer(tmp_path):
    acked = acknowledged_before_sigkill(WRITER, tmp_path / "rec", 200)
    raw = read_segment_log(tmp_path / "rec")["raw"]
    assert raw.n_chunks >= acked
    for i, c in enumerate(raw.chunks()):
        np.testing.assert_array_equal(c.data, _chunk(i).data)
        assert c.start_sample == i * 30


def test_export_stream_writes_one_recording_file(tmp_path):
    writer = SegmentLogWriter(tmp_path / "rec", {"raw": (4, "int16", 30000.0)})
    for i in range(3):
        writer.append("raw", _chunk(i))
    writer.close()
    path = export_stream(tmp_path / "rec", "raw", "npz")
    assert path == tmp_path / "rec" / "raw.npz"
    back = open_recording(path)
    np.testing.assert_array_equal(back.data, np.concatenate([_chunk(i).data for i in range(3)], axis=1))
    with pytest.raises(RecordingNotFoundError, match="no stream 'bp'"):
        export_stream(tmp_path / "rec", "bp")
