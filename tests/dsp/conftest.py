"""Helpers shared by the DSP tests: feed a block in a given chunking and compare with one shot."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk

FS = 30000.0


def _feed(block, x: np.ndarray, cuts: list[int], rate: float | None = None) -> list[Chunk]:
    """Reset ``block`` and feed ``x`` cut at the sorted sample indices ``cuts``."""
    rate = block.sample_rate if rate is None else rate
    edges = [0, *sorted(cuts), x.shape[1]]
    block.reset()
    return [block.process(Chunk(x[:, a:b], a, rate, origin_ns=1000 + i))
            for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))]


@pytest.fixture(scope="session")
def feed() -> Callable[..., list[Chunk]]:
    return _feed


@pytest.fixture(scope="session")
def assert_chunk_invariant() -> Callable[..., None]:
    def check(block, x: np.ndarray, cuts: list[int]) -> None:
        whole = block.apply(x)
        one_ms = list(range(30, x.shape[1], 30))  # the runtime's 1 ms chunks at 30 kHz
        for chunking in (cuts, one_ms):
            _check_one(block, x, chunking, whole)
    return check


def _check_one(block, x: np.ndarray, cuts: list[int], whole: np.ndarray) -> None:
    outs = _feed(block, x, cuts)
    streamed = np.concatenate([o.data for o in outs], axis=1)
    assert streamed.dtype == whole.dtype
    np.testing.assert_array_equal(streamed, whole)
    # origin_ns carried, positions contiguous, rates declared
    expected_start = outs[0].start_sample
    for i, o in enumerate(outs):
        assert o.origin_ns == 1000 + i
        assert o.sample_rate == block.output_rate
        assert o.start_sample == expected_start
        expected_start += o.n_samples


@pytest.fixture(scope="session")
def spiky() -> np.ndarray:
    """4 channels x 3000 samples of noise (RMS ~20), int16 counts, with 12 sharp negative spikes
    per channel at least 140 samples apart."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 20, (4, 3000))
    for c in range(4):
        for t in 100 + 240 * np.arange(12) + rng.integers(0, 100, 12):
            x[c, t:t + 6] += np.array([-40, -160, -200, -90, 30, 20])
    return np.round(x).astype(np.int16)
