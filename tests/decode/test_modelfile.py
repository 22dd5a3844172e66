"""The safe decoder file format: kind tag, version and checksum are all checked."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import ModelFileError
from cortexlink.decode import load_decoder
from cortexlink.decode.modelfile import FORMAT_VERSION, read_model, write_model


def test_round_trip_both_containers(tmp_path):
    arrays = {"a": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2], dtype=np.int64)}
    for container in ("npz", "safetensors"):
        path = write_model(tmp_path / f"m.{container}", "wiener", {"n_lags": 3}, arrays, container, {"x": 1})
        meta, got = read_model(path)
        assert meta["kind"] == "wiener" and meta["params"] == {"n_lags": 3} and meta["extra"] == {"x": 1}
        for k, v in arrays.items():
            np.testing.assert_array_equal(got[k], v)


def test_unknown_kind_and_version(tmp_path, monkeypatch):
    path = write_model(tmp_path / "k.npz", "teleport", {}, {"a": np.zeros(2)})
    with pytest.raises(ModelFileError, match="unknown decoder kind 'teleport'"):
        load_decoder(path)
    import cortexlink.decode.modelfile as mf

    monkeypatch.setattr(mf, "FORMAT_VERSION", FORMAT_VERSION + 1)
    newer = write_model(tmp_path / "v.npz", "wiener", {}, {"a": np.zeros(2)})
    monkeypatch.setattr(mf, "FORMAT_VERSION", FORMAT_VERSION)
    with pytest.raises(ModelFileError, match="format version"):
        read_model(newer)


def test_kind_tag_cannot_be_swapped(tmp_path, fitted):
    """Relabelling a Wiener file as a Kalman file breaks the checksum."""
    import io
    import json

    path = fitted("wiener").save(tmp_path / "w.npz")
    with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["kind"] = "kalman"
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load_decoder(path)


def test_truncated_file(tmp_path, fitted):
    path = fitted("kalman").save(tmp_path / "k.npz")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFileError):
        load_decoder(path)


def test_a_file_encrypted_at_rest_reads_with_the_key_and_only_with_it(tmp_path, monkeypatch):
    from cortexlink.core.crypto import encrypt_file, new_key_file
    from cortexlink.core.errors import CorruptDataError, InvalidParameterError

    arrays = {"a": np.arange(6.0).reshape(2, 3)}
    path = write_model(tmp_path / "m.npz", "wiener", {"n_lags": 3}, arrays)
    key = new_key_file(tmp_path / "key")
    encrypt_file(path, key)
    monkeypatch.setenv("CORTEXLINK_KEY", key.hex())
    meta, got = read_model(path)
    assert meta["kind"] == "wiener"
    np.testing.assert_array_equal(got["a"], arrays["a"])
    monkeypatch.setenv("CORTEXLINK_KEY", bytes(32).hex())
    with pytest.raises(CorruptDataError, match="key"):
        read_model(path)
    monkeypatch.delenv("CORTEXLINK_KEY")
    with pytest.raises(InvalidParameterError, match="CORTEXLINK_KEY"):
        read_model(path)
