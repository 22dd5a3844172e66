"""How a store encodes what it keeps: the signal's compressor, the hash family of its hash stream,
and loading their compiled kernels ahead of a live writer's first flush."""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_HASH_TABLES = 8
MIN_HASH_WINDOW = 16


def hash_family_config(window: int, tables: int, measure: str = "dtw") -> dict[str, Any]:
    """The JSON config of the hash family a store keeps (a sketch hash: needs no fitting)."""
    from cortexlink.similarity import make_hash

    return make_hash(measure, window, kind="sketch", n_tables=tables).config


def signal_compressor(dtype: np.dtype, level: str) -> Any:
    if dtype == np.int16:
        from cortexlink.codec.numcodecs_codec import CortexlinkCodec

        return CortexlinkCodec(level)
    from numcodecs import Zstd

    return Zstd(level=1)


def warm_up(dtype: str = "int16", level: str = "fast", hash_window: int = 0) -> None:
    """Load the codec's and the hash's compiled kernels now (seconds on a busy machine), so a live
    writer's first flush is not late."""
    if np.dtype(dtype) == np.int16:
        codec = signal_compressor(np.dtype(dtype), level)
        codec.decode(codec.encode(np.zeros(64, np.int16)))
    if hash_window >= MIN_HASH_WINDOW:
        from cortexlink.similarity import StreamingHasher, hash_from_config

        StreamingHasher(
            hash_from_config(hash_family_config(hash_window, DEFAULT_HASH_TABLES)), hop=hash_window
        ).process(np.zeros((1, 2 * hash_window)))
