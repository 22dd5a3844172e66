"""The numcodecs codec: found through its entry point, and a zarr array stored with it reads back."""

import warnings

import numcodecs
import numpy as np
import pytest
import zarr

from cortexlink.codec.numcodecs_codec import CortexlinkCodec
from cortexlink.core.errors import InvalidDataError, InvalidParameterError, MissingDependencyError

ZARR3 = int(zarr.__version__.split(".")[0]) >= 3  # SpikeInterface 0.105 pins zarr < 3: both must work


def _signal(n_ch=6, n=5000):
    rng = np.random.default_rng(4)
    return np.cumsum(rng.integers(-30, 31, (n_ch, n)), axis=1).astype(np.int16)


def test_registry_finds_the_codec_through_its_entry_point():
    codec = numcodecs.get_codec({"id": "cortexlink", "level": "fast"})
    assert isinstance(codec, CortexlinkCodec)
    assert codec.get_config() == {"id": "cortexlink", "level": "fast"}
    assert numcodecs.get_codec(codec.get_config()) == codec


@pytest.mark.parametrize("shape", [(6, 5000), (5000,), (2, 3, 400), (0,), (3, 0)])
def test_encode_decode_any_shape(shape):
    data = np.random.default_rng(5).integers(-500, 500, shape).astype(np.int16)
    codec = CortexlinkCodec()
    out = codec.decode(codec.encode(data))
    np.testing.assert_array_equal(out.reshape(shape), data)
    target = np.empty(shape, np.int16)
    codec.decode(codec.encode(data), out=target)
    np.testing.assert_array_equal(target, data)


def _write_v2(path, data):
    """A version-2-format zarr array of ``data`` compressed with the codec, as either zarr writes it."""
    if ZARR3:
        arr = zarr.create_array(str(path), shape=data.shape, chunks=(3, 2000), dtype="int16",
                                compressors=CortexlinkCodec("fast"), zarr_format=2)
    else:
        arr = zarr.open_array(str(path), mode="w", shape=data.shape, chunks=(3, 2000), dtype="int16",
                              compressor=CortexlinkCodec("fast"))
    arr[:] = data


def test_zarr_v2_array_round_trip(tmp_path):
    data = _signal()
    path = tmp_path / "v2.zarr"
    _write_v2(path, data)
    reopened = zarr.open_array(str(path), mode="r")
    np.testing.assert_array_equal(reopened[:], data)
    np.testing.assert_array_equal(reopened[1:4, 1500:4100], data[1:4, 1500:4100])
    stored = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert stored < data.nbytes / 2


def test_dask_reads_arrays_written_with_the_codec(tmp_path):
    """dask finds the codec through zarr's registry and reads every chunk exactly, in parallel."""
    da = pytest.importorskip("dask.array")
    data = _signal()
    _write_v2(tmp_path / "v2.zarr", data)
    lazy = da.from_zarr(str(tmp_path / "v2.zarr"))
    assert lazy.chunks == ((3, 3), (2000, 2000, 1000))
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), data)
    assert int(lazy[:, 100:4900].sum().compute()) == int(data[:, 100:4900].sum(dtype=np.int64))


def test_zarr_v3_array_round_trip_with_the_codec_as_serializer(tmp_path):
    """On zarr 2 (no version-3 format) asking for the serializer says to use the compressor."""
    from cortexlink.codec import numcodecs_codec

    if not ZARR3:
        with pytest.raises(MissingDependencyError, match="compressor"):
            numcodecs_codec.ZarrCortexlink  # noqa: B018
        return
    ZarrCortexlink = numcodecs_codec.ZarrCortexlink
    data = _signal()
    path = tmp_path / "v3.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr warns that numcodecs codecs are outside the v3 spec
        arr = zarr.create_array(str(path), shape=data.shape, chunks=(6, 1000), dtype="int16",
                                serializer=ZarrCortexlink(level="max"), compressors=None)
        arr[:] = data
        reopened = zarr.open_array(str(path), mode="r")
        np.testing.assert_array_equal(reopened[:], data)


def test_bad_level_and_odd_buffers_are_clear_errors():
    with pytest.raises(InvalidDataError, match="16-bit"):
        CortexlinkCodec().encode(np.zeros(3, np.uint8))
    with pytest.raises(InvalidParameterError, match="level"):
        CortexlinkCodec("best")
