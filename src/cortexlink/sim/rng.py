"""Counter-based random numbers for numba kernels.

Every random number is a hash of (stream key, index), so a value depends only on *which* number
it is, never on how the work was cut into chunks: that is what makes the simulator's output
independent of chunking. Gaussian values come from two lookups in a table of exact normal
quantiles, added and rescaled (tails reach about 6 sigma).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import ndtri

TABLE_BITS = 16
_MASK = np.uint64((1 << TABLE_BITS) - 1)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def gaussian_table() -> np.ndarray:
    """Normal quantiles at the centres of 2**16 equal-probability bins, scaled so that the sum of
    two independent draws divided by sqrt(2) has unit variance."""
    n = 1 << TABLE_BITS
    q = ndtri((np.arange(n) + 0.5) / n)
    return (q / np.sqrt(np.mean(q * q))).astype(np.float64)


GAUSS = gaussian_table()


def stream_key(seed_seq: np.random.SeedSequence) -> np.uint64:
    """A 64-bit key for one random stream, drawn from a SeedSequence."""
    return np.uint64(seed_seq.generate_state(1, np.uint64)[0])


@njit(cache=True, inline="always")
def mix64(x):
    """SplitMix64's finaliser: a bijective scramble of 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@njit(cache=True, inline="always")
def hash2(key, a, b):
    """A 64-bit hash of a key and two non-negative integer counters."""
    return mix64(key ^ mix64(np.uint64(a) * GOLDEN + np.uint64(b)))


@njit(cache=True, inline="always")
def uniform_open(h):
    """A double in (0, 1) from the top 53 bits of a hash."""
    return ((h >> np.uint64(11)) + np.uint64(1)) * (1.0 / 9007199254740994.0)


@njit(cache=True, inline="always")
def gauss_from(h, shift, table):
    """A standard normal value from 32 bits of ``h`` starting at ``shift`` (two table lookups)."""
    i = (h >> np.uint64(shift)) & _MASK
    j = (h >> np.uint64(shift + 16)) & _MASK
    return (table[i] + table[j]) * 0.7071067811865476


@njit(cache=True)
def channel_keys(key, n):
    """One key per channel for per-sample streams: sample i of channel c is mix64(key_c + i * GOLDEN),
    SplitMix64's own sequence started at a random point."""
    out = np.empty(n, dtype=np.uint64)
    for c in range(n):
        out[c] = mix64(key ^ mix64(np.uint64(c) * GOLDEN + np.uint64(0x5851F42D4C957F2D)))
    return out
