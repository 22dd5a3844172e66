"""Acquisition nodes: the BrainFlow synthetic board and an LSL outlet stream through the nodes into
a recorder with no gaps, at the right rate and channel count; lsl_sink publishes; a device that
is not there is a clear error."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, DeviceError, InvalidParameterError
from cortexlink.nodes.recorder import Recorder, read_recording_folder

from .helpers import make_node

pytest.importorskip("pylsl")


def _record(source, tmp_path, seconds):
    """Drive ``source``'s generate() into a recorder for ``seconds``; returns the recorded stream."""
    spec = source.context.output_specs["out"]
    rec = make_node(Recorder, {"path": str(tmp_path / "rec"), "stream": "eeg"}, {"in": spec})
    end = time.monotonic() + seconds
    starts = []
    for out in source.generate():
        starts.append((out["out"].start_sample, out["out"].n_samples))
        rec.process({"in": out["out"]})
        if time.monotonic() > end:
            break
    source.shutdown()
    rec.shutdown()
    return read_recording_folder(tmp_path / "rec")["eeg"], starts, spec


def test_brainflow_synthetic_board_streams_without_gaps(tmp_path):
    pytest.importorskip("brainflow")
    from cortexlink.nodes.brainflow_source import BrainFlowSource

    source = make_node(BrainFlowSource, {"board": "synthetic", "chunk_ms": 40})
    t0 = time.monotonic()
    stream, starts, spec = _record(source, tmp_path, 2.0)
    elapsed = time.monotonic() - t0
    assert spec.n_channels == 16 and spec.sample_rate == 250.0
    assert stream.data.shape[0] == 16 and stream.sample_rate == 250.0
    assert all(s == i * 10 for i, (s, _) in enumerate(starts))  # contiguous chunks of 10 samples
    assert stream.data.shape[1] == 10 * len(starts)
    assert source.context.reports["package_gaps"] == 0
    assert 0.5 * 250 * elapsed < stream.data.shape[1] <= 1.2 * 250 * elapsed  # about the board's rate


def test_lsl_outlet_streams_through_lsl_source_without_gaps(tmp_path):
    from cortexlink.io.lsl import synthetic_outlet_thread
    from cortexlink.nodes.lsl import LSLSource

    with synthetic_outlet_thread("cortexlink-test-in", n_channels=6, sample_rate=200.0, chunk=5, seconds=30):
        source = make_node(LSLSource, {"source_id": "cortexlink-test-in", "chunk_ms": 50})
        stream, starts, spec = _record(source, tmp_path, 1.5)
    assert spec.n_channels == 6 and spec.sample_rate == 200.0
    assert stream.data.shape[0] == 6 and stream.data.shape[1] >= 100
    counter = stream.data[0]
    np.testing.assert_array_equal(np.diff(counter), 1)  # every sample, in order, none twice
    now = time.monotonic_ns()
    assert np.all(stream.origin_ns <= now) and np.all(now - stream.origin_ns < 60e9)


def test_lsl_sink_publishes_its_input():
    from cortexlink.core.chunk import Chunk
    from cortexlink.core.streamspec import StreamSpec
    from cortexlink.io.lsl import LSLInlet
    from cortexlink.nodes.lsl import LSLSink

    sink = make_node(
        LSLSink,
        {"name": "cortexlink-test-out", "source_id": "cortexlink-test-out"},
        {"in": StreamSpec("x", 3, 100.0, "float32", 10)},
    )
    inlet = LSLInlet(source_id="cortexlink-test-out", timeout_s=5)
    got = []
    for i in range(40):
        sink.process({"in": Chunk(np.full((3, 10), i, np.float32), 10 * i, 100.0, time.monotonic_ns())})
        time.sleep(0.01)
        data, _ = inlet.pull(0.05)
        got.append(data)
    data = np.concatenate(got + [inlet.pull(0.5)[0]], axis=1)
    assert data.shape[0] == 3 and data.shape[1] > 0
    assert np.all(np.diff(data[0]) >= 0)


def test_a_device_that_is_not_there_is_a_clear_error():
    from cortexlink.nodes.lsl import LSLSource

    with pytest.raises(DeviceError, match="no LSL stream with source_id='nothing-here'"):
        LSLSource.describe_outputs(
            LSLSource.make_settings({"source_id": "nothing-here", "timeout_s": 0.3}), {}
        )
    pytest.importorskip("brainflow")
    from cortexlink.io.brainflow_board import BrainFlowBoard, board_id

    with pytest.raises(InvalidParameterError, match="unknown BrainFlow board"):
        board_id("no-such-board")
    board = BrainFlowBoard("cyton", serial_port="/dev/cortexlink-no-such-port")
    with pytest.raises(DeviceError, match="cannot open BrainFlow board 'cyton'") as info:
        board.start()
    assert isinstance(info.value, CortexlinkError)
