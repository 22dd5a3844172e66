"""AES-GCM at rest: round trips; a changed byte, a wrong key or a bad key file is a clear error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from cortexlink.core import crypto  # noqa: E402
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError  # noqa: E402

KEY = bytes(range(32))


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=4096))
def test_round_trip(data):
    blob = crypto.encrypt(data, KEY)
    assert crypto.is_encrypted(blob) and len(blob) == len(data) + 36
    assert crypto.decrypt(blob, KEY) == data


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=512), st.data())
def test_any_changed_byte_is_caught(data, pick):
    blob = bytearray(crypto.encrypt(data, KEY))
    i = pick.draw(st.integers(len(crypto.MAGIC), len(blob) - 1))
    blob[i] ^= pick.draw(st.integers(1, 255))
    with pytest.raises(CorruptDataError, match="key is wrong or the bytes were changed"):
        crypto.decrypt(bytes(blob), KEY)


def test_wrong_key_and_plain_data_are_clear_errors():
    blob = crypto.encrypt(b"neural data", KEY)
    with pytest.raises(CorruptDataError, match="key is wrong"):
        crypto.decrypt(blob, bytes(32))
    with pytest.raises(InvalidDataError, match="not encrypted"):
        crypto.decrypt(b"plain bytes", KEY)
    with pytest.raises(CorruptDataError, match="truncated"):
        crypto.decrypt(blob[:20], KEY)


def test_files_and_keys(tmp_path, monkeypatch):
    key = crypto.new_key_file(tmp_path / "key")
    assert crypto.load_key(tmp_path / "key") == key and (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InvalidParameterError, match="never overwritten"):
        crypto.new_key_file(tmp_path / "key")
    rec = tmp_path / "rec.bin"
    rec.write_bytes(b"x" * 1000)
    crypto.encrypt_file(rec, key)
    assert crypto.is_encrypted(rec.read_bytes()[:8])
    crypto.decrypt_file(rec, key, tmp_path / "plain.bin")
    assert (tmp_path / "plain.bin").read_bytes() == b"x" * 1000
    monkeypatch.setenv(crypto.KEY_ENV, key.hex())
    assert crypto.load_key() == key
    monkeypatch.setenv(crypto.KEY_ENV, "zz")
    with pytest.raises(InvalidParameterError, match="not hex"):
        crypto.load_key()
    monkeypatch.delenv(crypto.KEY_ENV)
    with pytest.raises(InvalidParameterError, match="no encryption key"):
        crypto.load_key()
    (tmp_path / "short").write_text("abcd")
    with pytest.raises(InvalidParameterError, match="2 bytes"):
        crypto.load_key(tmp_path / "short")
