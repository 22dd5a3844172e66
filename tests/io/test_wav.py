"""WAV: exact round trips of int16 at any channel count and rate; damaged files are refused."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import CorruptDataError, InvalidDataError, Recording, RecordingNotFoundError
from cortexlink.core.errors import UnsupportedFormatError
from cortexlink.io.wav import (
    load_wav,
    parse_wav,
    quantise_to_int16,
    read_wav,
    save_wav,
    wav_bytes,
    wav_header,
    write_wav,
)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_int16_round_trip_is_bit_exact(tmp_path_factory, recordings, same_bits, data):
    rec = data.draw(recordings(dtypes=("int16",), integer_rate=True))
    path = tmp_path_factory.mktemp("wav") / "r.wav"
    save_wav(rec, path)
    back = load_wav(path)  # the gain comes back from the file
    assert same_bits(back.data, rec.data)
    assert back.sample_rate == rec.sample_rate
    assert back.gain_uv == rec.gain_uv


def test_bytes_are_canonical_pcm_interleaved():
    data = np.array([[1, -2, 3], [-4, 5, 32767]], dtype=np.int16)
    raw = wav_bytes(data, 8000)
    assert raw[:4] == b"RIFF" and raw[8:16] == b"WAVEfmt "
    assert struct.unpack_from("<HHIIHH", raw, 20) == (1, 2, 8000, 32000, 4, 16)
    assert np.frombuffer(raw[44:], "<i2").tolist() == [1, -4, -2, 5, 3, 32767]


def test_real_file_rewrites_byte_for_byte(data_dir, tmp_path):
    source = sorted((data_dir / "neuralink").glob("*.wav"))[0]
    contents = read_wav(source)
    assert contents.data.shape[0] == 1 and contents.sample_rate == 19531
    out = tmp_path / "copy.wav"
    write_wav(out, contents.data, contents.sample_rate, contents.header, contents.trailer)
    assert out.read_bytes() == source.read_bytes()


def test_extra_chunks_before_data_are_kept_in_header():
    data = np.arange(6, dtype=np.int16).reshape(1, 6)
    plain = wav_bytes(data, 1000)
    extra = b"LIST" + struct.pack("<I", 5) + b"abcde" + b"\x00"  # odd size: padded
    raw = plain[:36] + extra + plain[36:]
    raw = raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:]
    contents = parse_wav(raw)
    assert contents.data.tolist() == data.tolist()
    assert contents.header + contents.data.T.astype("<i2").tobytes() + contents.trailer == raw


def test_float_recording_needs_a_gain(tmp_path):
    rec = Recording(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), 1000)
    with pytest.raises(UnsupportedFormatError, match="gain"):
        save_wav(rec, tmp_path / "f.wav")
    save_wav(rec, tmp_path / "f.wav", gain_uv=0.5)
    assert load_wav(tmp_path / "f.wav").data.tolist() == [[1, -2, 4]]


def test_quantise_refuses_values_that_would_clip():
    with pytest.raises(InvalidDataError, match="at least 0.1"):
        quantise_to_int16(np.array([[3276.7, -10.0]], dtype=np.float32) * 1.0001, 0.01)
    assert quantise_to_int16(np.array([[1.26, -1.26]], dtype=np.float32), 0.5).tolist() == [[3, -3]]


def test_non_integer_rate_is_refused(tmp_path):
    rec = Recording(np.zeros((1, 4), np.int16), 173.61)
    with pytest.raises(UnsupportedFormatError, match="integer sample rates"):
        save_wav(rec, tmp_path / "x.wav")


def test_missing_file():
    with pytest.raises(RecordingNotFoundError, match="no such file"):
        load_wav("does/not/exist.wav")


@pytest.mark.parametrize("damage, message", [
    (lambda raw: b"RIFX" + raw[4:], "bad magic"),
    (lambda raw: raw[:10], "bad magic"),
    (lambda raw: raw[:-3], "truncated"),
    (lambda raw: raw[:36], "no 'data' chunk"),
    (lambda raw: raw[:12] + raw[36:], "before any 'fmt '"),
    (lambda raw: raw[:16] + struct.pack("<I", 400) + raw[20:], "past the end|truncated"),
    (lambda raw: raw[:32] + struct.pack("<H", 3) + raw[34:], "inconsistent"),
    (lambda raw: raw[:22] + struct.pack("<H", 0) + raw[24:], "inconsistent"),
    (lambda raw: raw[:24] + struct.pack("<I", 0) + raw[28:], "sample rate"),
])
def test_damaged_files_raise_corrupt_data(damage, message):
    raw = wav_bytes(np.arange(20, dtype=np.int16).reshape(2, 10), 30000)
    with pytest.raises(CorruptDataError, match=message):
        parse_wav(damage(raw))


def test_non_16_bit_pcm_is_unsupported():
    header = bytearray(wav_header(1, 4, 8000))
    struct.pack_into("<H", header, 34, 8)
    with pytest.raises(UnsupportedFormatError, match="16-bit"):
        parse_wav(bytes(header) + b"\x00" * 8)


def test_wav_data_must_be_2d_int16():
    with pytest.raises(InvalidDataError, match="2-D"):
        wav_bytes(np.zeros(5, np.int16), 1000)
    with pytest.raises(UnsupportedFormatError, match="int16"):
        wav_bytes(np.zeros((1, 5), np.int32), 1000)


def test_gain_is_stored_in_a_chunk_other_readers_skip(tmp_path):
    import wave

    rec = Recording(np.array([[1, -2, 3, 4]], dtype=np.int16), 8000, gain_uv=0.25)
    save_wav(rec, tmp_path / "g.wav")
    assert load_wav(tmp_path / "g.wav").gain_uv == 0.25
    assert load_wav(tmp_path / "g.wav", gain_uv=0.5).gain_uv == 0.5  # given beats stored
    with wave.open(str(tmp_path / "g.wav")) as w:  # the standard library's reader still reads it
        assert w.readframes(4) == np.array([1, -2, 3, 4], "<i2").tobytes()
    save_wav(Recording(rec.data, 8000), tmp_path / "one.wav")
    assert (tmp_path / "one.wav").read_bytes()[:44] == wav_header(1, 4, 8000)  # gain 1: canonical


def test_damaged_gain_chunk_is_refused(tmp_path):
    raw = bytearray(wav_bytes(np.zeros((1, 4), np.int16), 8000, gain_uv=0.25))
    raw[44:52] = struct.pack("<d", -1.0)  # the gain chunk's value, after fmt (36 bytes) and its id/size
    (tmp_path / "bad.wav").write_bytes(bytes(raw))
    with pytest.raises(CorruptDataError, match="gain chunk"):
        load_wav(tmp_path / "bad.wav")
