"""recorder node: flushes and acknowledges, survives SIGKILL of its own process, writes NWB/NPZ."""

import textwrap

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CortexlinkError, GraphError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.io import open_recording
from cortexlink.nodes.recorder import Recorder, read_recording_folder

from .helpers import acknowledged_before_sigkill, make_node

SPEC = {"in": StreamSpec("raw", 4, 30000.0, "int16", 30)}


def _chunk(i):
    data = (np.arange(120, dtype=np.int64).reshape(4, 30) * 3 + 11 * i).astype(np.int16)
    return Chunk(data, 30 * i, 30000.0, 500 + i)


@pytest.mark.parametrize("fmt", ["npz", "nwb"])
def test_records_every_chunk_and_writes_the_file_on_shutdown(tmp_path, fmt):
    rec = make_node(Recorder, {"path": str(tmp_path / "rec"), "format": fmt, "flush_ms": 1e6}, SPEC)
    for i in range(20):
        rec.process({"in": _chunk(i)})
        if i == 9:
            assert rec.flush() == 10
    rec.shutdown()
    assert rec.context.reports["acknowledged_chunks"] == 20
    stream = read_recording_folder(tmp_path / "rec")["raw"]
    assert stream.n_chunks == 20
    expected = np.concatenate([_chunk(i).data for i in range(20)], axis=1)
    np.testing.assert_array_equal(stream.data, expected)
    np.testing.assert_array_equal(stream.origin_ns, 500 + np.arange(20))
    back = open_recording(tmp_path / "rec" / f"raw.{fmt}")
    np.testing.assert_array_equal(back.data, expected)
    assert back.sample_rate == 30000.0


def test_the_exported_file_is_encrypted_at_rest_with_a_key(tmp_path, monkeypatch):
    from cortexlink.core.crypto import decrypt_file, new_key_file

    key = new_key_file(tmp_path / "key")
    settings = {"path": str(tmp_path / "rec"), "encrypt": True, "key_file": str(tmp_path / "key")}
    rec = make_node(Recorder, settings, SPEC)
    for i in range(3):
        rec.process({"in": _chunk(i)})
    rec.shutdown()
    target = tmp_path / "rec" / "raw.npz"
    assert b"data.npy" not in target.read_bytes()  # no plaintext zip member names
    back = open_recording(decrypt_file(target, key, tmp_path / "plain.npz"))
    np.testing.assert_array_equal(back.data, np.concatenate([_chunk(i).data for i in range(3)], axis=1))
    monkeypatch.delenv("CORTEXLINK_KEY", raising=False)
    with pytest.raises(CortexlinkError):  # no key: refused at setup, before anything is recorded
        make_node(Recorder, {"path": str(tmp_path / "rec2"), "encrypt": True}, SPEC)


def test_two_recorders_share_a_folder_and_names_must_be_new(tmp_path):
    a = make_node(Recorder, {"path": str(tmp_path / "rec")}, SPEC)
    b = make_node(Recorder, {"path": str(tmp_path / "rec"), "stream": "copy"}, SPEC)
    for r in (a, b):
        r.process({"in": _chunk(0)})
        r.flush()
    assert sorted(read_recording_folder(tmp_path / "rec")) == ["copy", "raw"]
    with pytest.raises(Exception, match="already exists"):
        make_node(Recorder, {"path": str(tmp_path / "rec")}, SPEC)
    with pytest.raises(GraphError, match="flush_ms"):
        Recorder.make_settings({"path": "x", "flush_ms": 0})
    with pytest.raises(GraphError, match="path"):
        Recorder.make_settings({})


RECORDER_PROCESS = textwrap.dedent("""
    import sys
    import numpy as np
    from cortexlink.core.chunk import Chunk
    from cortexlink.core.streamspec import StreamSpec
    from cortexlink.graph.node import NodeContext
    from cortexlink.nodes.recorder import Recorder
    spec = {"in": StreamSpec("raw", 4, 30000.0, "int16", 30)}
    ctx = NodeContext.standalone("rec", spec, {})
    node = Recorder(Recorder.make_settings({"path": sys.argv[1], "flush_ms": 2.0}), ctx)
    node.setup()
    i = 0
    last = 0
    while True:
        data = (np.arange(120, dtype=np.int64).reshape(4, 30) * 3 + 11 * i).astype(np.int16)
        node.process({"in": Chunk(data, 30 * i, 30000.0, 500 + i)})
        i += 1
        acked = ctx.reports.get("acknowledged_chunks", 0)
        if acked != last:
            last = acked
            print(acked, flush=True)
""")


def test_acknowledged_chunks_survive_sigkill_of_the_recorder(tmp_path):
    acked = acknowledged_before_sigkill(RECORDER_PROCESS, tmp_path / "rec", 300)
    stream = read_recording_folder(tmp_path / "rec")["raw"]
    assert stream.n_chunks >= acked
    for i, c in enumerate(stream.chunks()):
        np.testing.assert_array_equal(c.data, _chunk(i).data)
        assert (c.start_sample, c.origin_ns) == (30 * i, 500 + i)


def test_events_input_stores_event_objects_with_the_next_commit(tmp_path):
    from dataclasses import asdict, dataclass, field

    from cortexlink.core.errors import CorruptDataError
    from cortexlink.store import open_store
    from cortexlink.store.events import decode_events, encode_events

    @dataclass
    class Onset:  # the shape of the seizure package's events: times in seconds, to_dict()
        site: str
        channels: list
        onset_time: float
        score: float
        kind: str = field(default="seizure", init=False)

        def to_dict(self):
            return asdict(self)

    rec = make_node(Recorder, {"path": str(tmp_path / "rec"), "flush_ms": 1e6}, SPEC)
    rec.process({"in": _chunk(0)})
    first = Chunk(encode_events([Onset("site0", [1, 2], 0.002, 0.9)]), 0, 1000.0, 0)
    rec.context.set_latest("events", first)
    rec.process({"in": _chunk(1)})
    rec.process({"in": _chunk(2)})  # the same chunk again: stored once
    rec.context.set_latest("events", Chunk(encode_events([{"sample": 75, "kind": "mark"}]), 1, 1000.0, 0))
    rec.process({"in": _chunk(3)})
    rec.shutdown()
    events = open_store(tmp_path / "rec" / "raw").events()
    assert [(e["kind"], e["sample"]) for e in events] == [("seizure", 60), ("mark", 75)]
    assert events[0]["value"] == 0.9 and events[0]["payload"]["channels"] == [1, 2]
    with pytest.raises(CorruptDataError):
        decode_events(np.frombuffer(b"\x07garbage", np.uint8))
