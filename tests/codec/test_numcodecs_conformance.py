"""numcodecs' own conformance helpers (``numcodecs.tests.common``), run on the cortexlink codec.

Run with whatever numcodecs and zarr are installed (zarr 2 with SpikeInterface; zarr 3 elsewhere,
where the zarr-3 serializer class is checked too). ``fixture/cortexlink`` holds chunks encoded by
this version of the codec: ``check_backwards_compatibility`` decodes them, so a format change fails.
"""

import warnings
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr
from numcodecs.tests import common

from cortexlink.codec.numcodecs_codec import CortexlinkCodec

ZARR3 = int(zarr.__version__.split(".")[0]) >= 3
FIXTURE = Path(__file__).parent / "fixture"


def _arrays():
    rng = np.random.default_rng(20)
    walk = np.cumsum(rng.integers(-40, 41, (4, 1500)), axis=1).astype(np.int16)
    return [
        np.arange(1000, dtype=np.int16),
        walk,
        np.asfortranarray(walk[:, :700]),
        rng.integers(-32768, 32768, (3, 5, 64)).astype(np.int16),
        np.array([-32768, 32767, 0, -1, 1], dtype=np.int16),
        np.zeros((2, 0), dtype=np.int16),
    ]


def _codecs():
    codecs = [CortexlinkCodec(level) for level in ("fast", "max")]
    if ZARR3:  # the zarr-3 serializer wraps the same numcodecs codec: check the one it builds
        from cortexlink.codec.numcodecs_codec import ZarrCortexlink

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarr: numcodecs codecs are outside the v3 spec
            codecs.append(ZarrCortexlink(level="fast")._codec)
    return codecs


@pytest.mark.parametrize("codec", _codecs(), ids=repr)
@pytest.mark.parametrize("index", range(len(_arrays())))
def test_check_encode_decode(codec, index):
    common.check_encode_decode(_arrays()[index], codec)


def test_any_buffer_is_viewed_as_int16_like_numcodecs_typed_codecs():
    codec = CortexlinkCodec("fast")
    data = np.cumsum(np.random.default_rng(1).integers(-9, 10, 4000)).astype(np.int16)
    for buf in (memoryview(data), data.view(np.uint8), data.view(np.int32), data.view(np.float16),
                np.arange(10), np.linspace(0, 1, 7, dtype=np.float32)):
        enc = codec.encode(buf)
        assert codec.decode(enc).tobytes() == bytes(memoryview(buf).cast("B"))


def test_odd_byte_count_is_a_clear_error():
    from cortexlink.core.errors import InvalidDataError

    with pytest.raises(InvalidDataError, match="odd"):
        CortexlinkCodec().encode(b"abc")


@pytest.mark.parametrize("codec", _codecs(), ids=repr)
def test_check_config_and_errors(codec):
    common.check_config(codec)
    common.check_err_decode_object_buffer(codec)
    common.check_err_encode_object_buffer(codec)


def test_check_repr(monkeypatch):
    monkeypatch.setattr(common, "CortexlinkCodec", CortexlinkCodec, raising=False)  # eval's namespace
    common.check_repr("CortexlinkCodec(level='fast')")
    common.check_repr("CortexlinkCodec(level='max')")


def test_check_backwards_compatibility(monkeypatch):
    assert (FIXTURE / "cortexlink" / "codec.00" / "config.json").is_file(), "fixture chunks are missing"
    before = sorted(p.name for p in (FIXTURE / "cortexlink").rglob("*"))
    monkeypatch.chdir(FIXTURE.parent)  # the helper reads ./fixture/<codec id>
    arrays = [a for a in _arrays() if a.size]
    common.check_backwards_compatibility("cortexlink", arrays, _codecs()[:2])
    assert sorted(p.name for p in (FIXTURE / "cortexlink").rglob("*")) == before  # nothing regenerated


def test_zarr_open_with_the_registered_codec(tmp_path):
    """The README's line: any zarr user finds the codec by id, without importing cortexlink."""
    data = _arrays()[1]
    compressor = numcodecs.get_codec({"id": "cortexlink", "level": "fast"})
    kwargs = {"zarr_format": 2} if ZARR3 else {}
    arr = zarr.open(str(tmp_path / "a.zarr"), mode="w", shape=data.shape, chunks=(2, 600), dtype="int16",
                    compressor=compressor, **kwargs)
    arr[:] = data
    np.testing.assert_array_equal(zarr.open(str(tmp_path / "a.zarr"), mode="r")[:], data)
