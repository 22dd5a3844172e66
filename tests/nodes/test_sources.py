"""sim_source and file_source: chunk shapes and numbering, feedback, pacing, replay."""

import itertools
import time

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError
from cortexlink.core.recording import Recording
from cortexlink.dsp import ButterworthFilter
from cortexlink.io import save_recording
from cortexlink.nodes.file_source import FileSource
from cortexlink.nodes.pacing import Pacer
from cortexlink.nodes.sim_source import SimSource
from cortexlink.sim import MotorSimulator, PopulationConfig

from .helpers import make_node

SMALL = {"n_arrays": 2, "channels_per_array": 8, "chunk_ms": 1.0, "generate_ms": 5.0, "realtime": False}


def test_sim_source_stacks_arrays_in_numbered_chunks():
    node = make_node(SimSource, {**SMALL, "duration_s": 0.012})
    spec = SimSource.describe_outputs(node.settings, {})["out"]
    assert (spec.n_channels, spec.sample_rate, spec.dtype, spec.chunk_samples) == (16, 30000.0, "int16", 30)
    outs = list(node.generate())
    chunks = [o["out"] for o in outs]
    assert len(chunks) == 12
    assert [c.start_sample for c in chunks] == [30 * i for i in range(12)]
    assert all(c.data.shape == (16, 30) and c.data.dtype == np.int16 and c.data.flags.c_contiguous
               for c in chunks)
    assert all(b.origin_ns >= a.origin_ns > 0 for a, b in itertools.pairwise(chunks))
    # array 0 is exactly the simulator with the node's seed; array 1 is another implant
    ref = MotorSimulator(PopulationConfig(n_channels=8), seed=0, task=None, task_seed=0).read(360)
    got = np.concatenate([c.data for c in chunks], axis=1)
    np.testing.assert_array_equal(got[:8], ref)
    assert not np.array_equal(got[8:], ref)
    # the behaviour stream: one column per 5 ms block, published with the block's first chunk
    behaviour = [o["behaviour"] for o in outs if "behaviour" in o]
    assert [i for i, o in enumerate(outs) if "behaviour" in o] == [0, 5, 10]
    assert [(b.start_sample, b.data.shape, b.sample_rate) for b in behaviour] == [
        (0, (2, 1), 200.0), (0, (2, 2), 200.0), (0, (2, 3), 200.0)]
    assert not np.asarray([b.data for b in behaviour[-1:]]).any()  # nothing drives the units: still


def test_feedback_velocity_drives_every_array_from_the_next_block():
    node = make_node(SimSource, SMALL)
    gen = node.generate()
    next(gen)
    assert node.velocity_updates == 1 - 1  # no feedback yet
    node.context.set_latest("velocity", Chunk(np.array([[12.0], [-3.0]], np.float32), 0, 100.0))
    outs = [next(gen) for _ in range(5)]   # block 1 is made after chunk 2, with the feedback
    assert node.velocity_updates == 1
    for sim in node.arrays:
        np.testing.assert_allclose(sim.current_velocity, [12.0, -3.0])
    behaviour = outs[-1]["behaviour"]       # published with block 1's first chunk
    np.testing.assert_allclose(behaviour.data, [[0.0, 12.0], [0.0, -3.0]])
    assert behaviour.start_sample == 0
    node.context.set_latest("velocity", Chunk(np.array([[np.nan], [1.0]], np.float32), 1, 100.0))
    for _ in range(4):
        next(gen)
    assert node.velocity_updates == 1  # a non-finite velocity is ignored


def test_realtime_source_never_releases_a_chunk_early():
    node = make_node(SimSource, {**SMALL, "realtime": True, "duration_s": 0.05})
    t0 = time.monotonic_ns()
    stamps = [o["out"].origin_ns for o in node.generate()]
    assert len(stamps) == 50
    # chunk i is due (i + 1) ms after pacing began; on a busy machine it may be late, never early
    start = node.pacer.start_ns
    assert start >= t0
    assert all(stamp >= start + (i + 1) * 1_000_000 for i, stamp in enumerate(stamps))


def test_pacer_reports_falling_behind_once():
    late = []
    pacer = Pacer(0.001, on_late=late.append, late_warning_s=0.01)
    pacer.wait(0)
    time.sleep(0.03)
    pacer.wait(1)
    pacer.wait(2)
    assert len(late) == 1 and late[0] >= 0.01
    assert Pacer(0.001, realtime=False).wait(5) == 0.0


def test_sim_source_settings_are_checked():
    with pytest.raises(GraphError, match="whole multiple"):
        SimSource.make_settings({"chunk_ms": 3.0, "generate_ms": 10.0})
    with pytest.raises(GraphError, match="task"):
        SimSource.make_settings({"task": "juggling"})


def test_file_source_replays_a_recording_exactly_and_loops(tmp_path):
    data = np.arange(3 * 1000, dtype=np.int16).reshape(3, 1000)
    path = tmp_path / "rec.npz"
    save_recording(Recording(data, 10000.0), path)
    node = make_node(FileSource, {"path": str(path), "chunk_ms": 3.0, "realtime": False})
    spec = FileSource.describe_outputs(node.settings, {})["out"]
    assert (spec.n_channels, spec.sample_rate, spec.chunk_samples, spec.dtype) == (3, 10000.0, 30, "int16")
    chunks = [o["out"] for o in node.generate()]
    np.testing.assert_array_equal(np.concatenate([c.data for c in chunks], axis=1), data)
    assert chunks[-1].data.shape[1] == 1000 - 33 * 30
    looping = make_node(FileSource, {"path": str(path), "chunk_ms": 3.0, "realtime": False, "loop": True})
    first = [o["out"] for o in itertools.islice(looping.generate(), 70)]
    assert first[33].data.shape[1] == 30   # wrapped around the end
    np.testing.assert_array_equal(first[33].data, np.concatenate([data[:, 990:], data[:, :20]], axis=1))
    assert first[69].start_sample == 69 * 30


def test_file_source_missing_file_is_a_clear_error(tmp_path):
    settings = FileSource.make_settings({"path": str(tmp_path / "nope.npz")})
    with pytest.raises(Exception, match="nope.npz"):
        FileSource.describe_outputs(settings, {})


def test_sim_source_runs_open_loop_without_its_feedback_port():
    node = make_node(SimSource, {**SMALL, "task": "center_out", "duration_s": 0.01}, connect_feedback=False)
    assert len([o for o in node.generate()]) == 10 and node.velocity_updates == 0


def test_file_source_replays_a_real_recording_through_a_filter(data_dir):
    from cortexlink.io import open_recording
    from cortexlink.nodes.signal import Filter

    path = sorted((data_dir / "neuralink").glob("*.wav"))[0]
    rec = open_recording(path)
    src = make_node(FileSource, {"path": str(path), "chunk_ms": 1.0, "realtime": False})
    spec = FileSource.describe_outputs(src.settings, {})
    filt = make_node(Filter, {"low": 300.0, "high": 3000.0}, {"in": spec["out"]})
    outs = [filt.process({"in": o["out"]})["out"] for o in src.generate()]
    want = ButterworthFilter(rec.sample_rate, 300.0, 3000.0, order=4).apply(rec.data)  # the node default
    np.testing.assert_allclose(np.concatenate([o.data for o in outs], axis=1), want, rtol=1e-4, atol=1e-2)
    assert outs[-1].end_sample == rec.n_samples


def test_sim_source_injects_faults_on_global_channel_numbers():
    faults = [{"kind": "dead", "channel": 10, "start_s": 0.005}, {"kind": "saturation", "channel": 1}]
    node = make_node(SimSource, {**SMALL, "duration_s": 0.01, "faults": faults})
    got = np.concatenate([o["out"].data for o in node.generate()], axis=1)
    assert got[10, :150].any() and not got[10, 150:].any()  # array 1, channel 2 dies at 5 ms
    assert (got[1] == 32767).all()
    assert got[[0, 2, 9, 11]].std(axis=1).min() > 0
    with pytest.raises(GraphError, match="outside 0..15"):
        SimSource.make_settings({**SMALL, "faults": [{"kind": "dead", "channel": 16}]})
    with pytest.raises(GraphError, match="unknown fault kind"):
        SimSource.make_settings({**SMALL, "faults": [{"kind": "melted", "channel": 0}]})
