"""The codec as a numcodecs ``Codec`` (id ``"cortexlink"``), so zarr arrays of int16 can use it.

Registered through the ``numcodecs.codecs`` entry point. With zarr's version-2 format it is the
array's ``compressor`` (zarr 2 and 3); with the version-3 format ``ZarrCortexlink`` is its
``serializer`` (zarr 3 only; SpikeInterface 0.105 pins zarr < 3, and both work there).
A 2-D chunk is taken as ``(channels, time)``; other shapes as rows along their last axis.
"""

from __future__ import annotations

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

from cortexlink.codec.api import CompressedReader, compress
from cortexlink.codec.levels import DEFAULT_LEVEL, check_level
from cortexlink.core.errors import InvalidDataError, MissingDependencyError


class CortexlinkCodec(Codec):
    """Lossless compression of int16 chunks with the cortexlink codec at ``level``."""

    codec_id = "cortexlink"

    def __init__(self, level: str = DEFAULT_LEVEL) -> None:
        self.level = check_level(level)

    def encode(self, buf) -> bytes:
        """Compress any buffer as int16, as numcodecs' typed codecs do (``Delta(dtype=...)``).

        An int16 array keeps its shape (rows along the last axis, e.g. ``(channels, time)``); anything
        else (bytes, ``bytearray``, ``memoryview``, other dtypes) is viewed as one row of int16 in
        memory order, so the round trip is byte-exact. Object arrays raise ``TypeError``.
        """
        arr = ensure_contiguous_ndarray(buf, flatten=False)
        if arr.dtype == np.int16 and arr.flags.c_contiguous and arr.ndim >= 1:
            flat_rows = arr.ndim < 2 or arr.shape[-1] == 0
            rows = arr.reshape(1, -1) if flat_rows else arr.reshape(-1, arr.shape[-1])
        else:
            flat = arr.reshape(-1, order="A").view(np.uint8)
            if flat.size % 2:
                raise InvalidDataError(f"the cortexlink codec stores 16-bit samples, got {flat.size} bytes "
                                       "(an odd count); use an int16 zarr array or another codec")
            rows = flat.view(np.int16).reshape(1, -1)
        if rows.shape[0] == 0:
            rows = rows.reshape(1, 0)
        return compress(np.ascontiguousarray(rows), self.level, None)

    def decode(self, buf, out=None) -> np.ndarray:
        """Decompress to a flat int16 array, or into ``out`` (any buffer; object arrays: ``TypeError``)."""
        if out is not None:
            ensure_contiguous_ndarray(out)  # refuses object arrays before anything is written
        data = CompressedReader(ensure_contiguous_ndarray(buf).tobytes()).read().reshape(-1)
        return ndarray_copy(data, out)

    def get_config(self) -> dict:
        return {"id": self.codec_id, "level": self.level}


def _zarr3_codec():
    try:
        from zarr.codecs.numcodecs import _NumcodecsArrayBytesCodec
    except ImportError:
        raise MissingDependencyError(
            "ZarrCortexlink is a serializer of zarr's version-3 format, which needs zarr 3 (pip install "
            "\"zarr>=3\"); with zarr 2, pass CortexlinkCodec() as the array's compressor") from None

    class ZarrCortexlink(_NumcodecsArrayBytesCodec, codec_name="cortexlink"):
        """The codec as a zarr version-3 array-to-bytes codec (``serializer=``)."""

    return ZarrCortexlink


def __getattr__(name: str):
    if name == "ZarrCortexlink":
        cls = _zarr3_codec()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
