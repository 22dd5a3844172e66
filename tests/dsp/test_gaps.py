"""GridAligned: a binning block fed across a hole in the stream restarts on its bin grid."""

from __future__ import annotations

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.dsp import Binner, GridAligned

FS = 1000.0


def test_contiguous_stream_is_binned_as_the_block_bins_it():
    x = np.arange(40, dtype=np.float32).reshape(2, 20)
    aligned = GridAligned(Binner(FS, 4.0, "sum"), 4)
    outs = [aligned.process(Chunk(x[:, a:a + 3], a, FS)) for a in range(0, 20, 3)]
    got = np.concatenate([o.data for o in outs if o is not None], axis=1)
    np.testing.assert_array_equal(got, x.reshape(2, 5, 4).sum(axis=2))
    assert aligned.gaps == 0


def test_after_a_lost_chunk_bins_restart_on_the_grid():
    x = np.ones((1, 40), dtype=np.float32)
    aligned = GridAligned(Binner(FS, 4.0, "sum"), 4)
    bins = {}
    for a in range(0, 40, 6):
        if a == 12:  # this chunk is lost
            continue
        out = aligned.process(Chunk(x[:, a:a + 6], a, FS))
        if out is not None:
            for k in range(out.data.shape[1]):
                bins[out.start_sample + k] = float(out.data[0, k])
    assert aligned.gaps == 1
    assert bins == {0: 4.0, 1: 4.0, 2: 4.0, 5: 4.0, 6: 4.0, 7: 4.0, 8: 4.0, 9: 4.0}  # 3 and 4 touch the hole


def test_a_stream_starting_off_the_grid_waits_for_the_next_bin_edge():
    aligned = GridAligned(Binner(FS, 4.0, "sum"), 4)
    assert aligned.process(Chunk(np.ones((1, 2), np.float32), 5, FS)) is None
    out = aligned.process(Chunk(np.ones((1, 6), np.float32), 7, FS))
    assert out.start_sample == 2 and out.data.tolist() == [[4.0]]
