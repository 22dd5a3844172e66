"""Chunk: position in the stream, derived chunks keep their acquisition time."""

from __future__ import annotations

import numpy as np

from cortexlink.core import Chunk


def test_positions_and_times():
    chunk = Chunk(np.zeros((4, 30), np.int16), start_sample=300, sample_rate=30000.0, origin_ns=5)
    assert (chunk.n_channels, chunk.n_samples, chunk.end_sample) == (4, 30, 330)
    assert chunk.start_time == 0.01


def test_default_origin_is_zero():
    assert Chunk(np.zeros((1, 1)), 0, 10.0).origin_ns == 0


def test_derive_keeps_origin_and_position_unless_given():
    chunk = Chunk(np.zeros((4, 30), np.int16), 300, 30000.0, origin_ns=987654321)
    same_place = chunk.derive(np.ones((2, 30), np.float32))
    assert same_place.start_sample == 300 and same_place.sample_rate == 30000.0
    assert same_place.origin_ns == 987654321
    assert same_place.n_channels == 2
    binned = chunk.derive(np.ones((4, 1)), start_sample=10, sample_rate=1000.0)
    assert (binned.start_sample, binned.sample_rate, binned.origin_ns) == (10, 1000.0, 987654321)
    assert chunk.start_sample == 300 and chunk.data.shape == (4, 30)  # the original is untouched


def test_chunk_has_slots():
    chunk = Chunk(np.zeros((1, 1)), 0, 1.0)
    assert not hasattr(chunk, "__dict__")


def test_split_keeps_positions_and_origin():
    c = Chunk(np.arange(10, dtype=np.float32).reshape(2, 5), 100, 1000.0, origin_ns=7)
    head, tail = c.split(2)
    assert (head.start_sample, head.n_samples, tail.start_sample, tail.n_samples) == (100, 2, 102, 3)
    assert head.origin_ns == tail.origin_ns == 7 and tail.sample_rate == 1000.0
    np.testing.assert_array_equal(np.concatenate([head.data, tail.data], axis=1), c.data)
    assert c.split(5)[1].n_samples == 0 and c.split(5)[1].start_sample == 105
