"""NPZ: every Recording field survives exactly; damaged, foreign and pickling archives are refused."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import CorruptDataError, Recording, RecordingNotFoundError, UnsupportedFormatError
from cortexlink.io.npz import load_npz, metadata_json, save_npz


@settings(max_examples=40, deadline=None)
@given(st.data(), st.booleans())
def test_round_trip_keeps_every_field(tmp_path_factory, recordings, same_bits, data, compressed):
    rec = data.draw(recordings())
    rec.metadata = {"subject": "m1", "n": 3, "nested": {"x": [1.5, None]}}
    path = tmp_path_factory.mktemp("npz") / "r.npz"
    save_npz(rec, path, compressed=compressed)
    back = load_npz(path)
    assert same_bits(back.data, rec.data)
    fields = ("sample_rate", "gain_uv", "t0", "site")
    assert [getattr(back, f) for f in fields] == [getattr(rec, f) for f in fields]
    assert np.array_equal(back.channel_ids, rec.channel_ids)
    assert back.metadata == {**rec.metadata, "format": "npz"}


def test_string_channel_ids_and_numpy_metadata(tmp_path):
    rec = Recording(np.ones((2, 3), np.int16), 1000, channel_ids=np.array(["a1", "b2"]),
                    metadata={"arr": np.arange(3), "scalar": np.float32(0.5), "tags": ("x", "y")})
    save_npz(rec, tmp_path / "s.npz")
    back = load_npz(tmp_path / "s.npz")
    assert back.channel_ids.tolist() == ["a1", "b2"]
    assert back.metadata == {"arr": [0, 1, 2], "scalar": 0.5, "tags": ["x", "y"], "format": "npz"}


def test_any_file_name_is_kept(tmp_path):
    save_npz(Recording(np.zeros((1, 2), np.int16), 10), tmp_path / "plain.data")
    assert (tmp_path / "plain.data").is_file() and not (tmp_path / "plain.data.npz").exists()


def test_metadata_json_turns_unknown_objects_into_text():
    assert metadata_json({"p": object.__new__(type("Thing", (), {"__str__": lambda self: "thing"}))}) == \
        '{"p": "thing"}'


def _valid_bytes(tmp_path) -> bytes:
    path = tmp_path / "ok.npz"
    save_npz(Recording(np.arange(400, dtype=np.int16).reshape(4, 100), 30000, gain_uv=0.2), path)
    return path.read_bytes()


@pytest.mark.parametrize("cut", [10, 300, -200, -30])
def test_truncated_archive_is_corrupt(tmp_path, cut):
    (tmp_path / "t.npz").write_bytes(_valid_bytes(tmp_path)[:cut])
    with pytest.raises(CorruptDataError, match="not a readable NPZ|damaged"):
        load_npz(tmp_path / "t.npz")


def test_garbage_is_corrupt(tmp_path):
    (tmp_path / "g.npz").write_bytes(b"this is not a zip archive at all" * 10)
    with pytest.raises(CorruptDataError, match="not a readable NPZ"):
        load_npz(tmp_path / "g.npz")


def _rewrite(tmp_path, replace: dict[str, bytes], drop: tuple[str, ...] = ()) -> str:
    source = zipfile.ZipFile(io.BytesIO(_valid_bytes(tmp_path)))
    out = tmp_path / "edited.npz"
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name not in drop:
                target.writestr(name, replace.get(name, source.read(name)))
    return out


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def test_missing_key_names_the_layout(tmp_path):
    with pytest.raises(UnsupportedFormatError, match="'gain_uv' is missing"):
        load_npz(_rewrite(tmp_path, {}, drop=("gain_uv.npy",)))


def test_pickled_member_is_never_loaded(tmp_path):
    evil = _npy(np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CorruptDataError, match="never unpickles"):
        load_npz(_rewrite(tmp_path, {"metadata.npy": evil}))


def test_header_that_overstates_the_data_is_caught_before_allocating(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<i2", "fortran_order": False, "shape": (4, 10**12)})
    lying = buf.getvalue() + np.zeros((4, 100), np.int16).tobytes()
    with pytest.raises(CorruptDataError, match="declares shape"):
        load_npz(_rewrite(tmp_path, {"data.npy": lying}))


@pytest.mark.parametrize("member, value, message", [
    ("metadata.npy", np.str_("{not json"), "not valid JSON"),
    ("metadata.npy", np.str_("[1, 2]"), "JSON object"),
    ("site.npy", np.arange(3), "must be a string"),
    ("sample_rate.npy", np.str_("fast"), "must be a number"),
])
def test_wrong_field_types_are_corrupt(tmp_path, member, value, message):
    with pytest.raises(CorruptDataError, match=message):
        load_npz(_rewrite(tmp_path, {member: _npy(value)}))


def test_invalid_values_inside_a_valid_archive_raise_the_recording_error(tmp_path):
    from cortexlink.core import InvalidDataError, InvalidParameterError

    with pytest.raises(InvalidParameterError, match="positive"):
        load_npz(_rewrite(tmp_path, {"sample_rate.npy": _npy(np.float64(-5.0))}))
    with pytest.raises(InvalidDataError, match="NaN"):
        load_npz(_rewrite(tmp_path, {"data.npy": _npy(np.full((4, 100), np.nan, np.float32))}))
    with pytest.raises(InvalidDataError, match="must be 2-D"):
        load_npz(_rewrite(tmp_path, {"data.npy": _npy(np.zeros(100, np.int16))}))
    with pytest.raises(InvalidDataError, match="one id per channel"):
        load_npz(_rewrite(tmp_path, {"channel_ids.npy": _npy(np.arange(3))}))
    with pytest.raises(InvalidDataError, match="zero channels"):
        load_npz(_rewrite(tmp_path, {"data.npy": _npy(np.zeros((0, 100), np.int16)),
                                     "channel_ids.npy": _npy(np.zeros(0, np.int64))}))


def test_missing_file(tmp_path):
    with pytest.raises(RecordingNotFoundError):
        load_npz(tmp_path / "none.npz")
