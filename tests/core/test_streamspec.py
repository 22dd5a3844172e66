"""StreamSpec: a stream's declared name, shape, rate and dtype are checked up front."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cortexlink.core import InvalidParameterError, StreamSpec


def test_chunk_bytes():
    assert StreamSpec("raw", 96, 30000.0, "int16", 30).chunk_bytes == 96 * 30 * 2
    assert StreamSpec("bins", 4, 50.0, "float32").chunk_bytes == 16
    assert StreamSpec("raw", np.int64(3), 1000.0, chunk_samples=np.int32(2)).chunk_bytes == 12


def test_is_frozen():
    spec = StreamSpec("raw", 2, 10.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.n_channels = 3


@pytest.mark.parametrize("kwargs, message", [
    ({"name": ""}, "non-empty name"),
    ({"n_channels": 0}, "n_channels must be a positive integer"),
    ({"n_channels": -2}, "n_channels must be a positive integer"),
    ({"n_channels": 2.5}, "n_channels must be a positive integer"),
    ({"n_channels": "four"}, "n_channels must be a positive integer"),
    ({"n_channels": True}, "n_channels must be a positive integer"),
    ({"chunk_samples": 0}, "chunk_samples must be a positive integer"),
    ({"sample_rate": 0}, "sample_rate"),
    ({"sample_rate": float("nan")}, "sample_rate"),
    ({"dtype": "not-a-type"}, "unknown dtype"),
])
def test_bad_declarations(kwargs, message):
    fields = {"name": "raw", "n_channels": 4, "sample_rate": 1000.0, **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        StreamSpec(**fields)
