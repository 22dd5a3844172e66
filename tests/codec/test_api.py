"""compress/decompress: exact round trips of real and simulated data, never worse than raw,
random access by time, and damage always reported as CorruptDataError."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cortexlink.codec import api
from cortexlink.codec.api import (
    MIN_BLOCK_SAMPLES,
    CompressedReader,
    compress,
    compress_wav_bytes,
    compress_wav_file,
    decompress,
    decompress_wav_bytes,
)
from cortexlink.codec.levels import LEVELS
from cortexlink.core.errors import (
    CorruptDataError,
    InvalidDataError,
    InvalidParameterError,
    UnsupportedFormatError,
)
from cortexlink.core.recording import Recording
from cortexlink.io.wav import wav_bytes


@pytest.fixture(scope="module")
def neuralink_files(data_dir):
    files = sorted((data_dir / "neuralink").glob("*.wav"))
    assert len(files) == 100
    return files


@pytest.mark.parametrize("level, step", [("fast", 1), ("max", 10)])
def test_shared_neuralink_files_round_trip_byte_for_byte(neuralink_files, level, step):
    """Every file at the fast level; every tenth at max, which is slower (codec-eval scores all)."""
    total_raw = total_packed = 0
    for path in neuralink_files[::step]:
        raw = path.read_bytes()
        packed = compress_wav_bytes(raw, level)
        assert decompress_wav_bytes(packed) == raw, path.name
        total_raw += len(raw)
        total_packed += len(packed)
    assert total_raw / total_packed > 3.0  # the files do compress; the score itself is codec-eval's


def test_multichannel_simulator_output_round_trips():
    from cortexlink.sim.motor import MotorSimulator

    sim = MotorSimulator(seed=3, n_channels=32)
    rec = sim.read(10000)
    rec = rec if isinstance(rec, Recording) else Recording(rec, sim.config.sample_rate)
    assert rec.data.dtype == np.int16 and rec.n_channels == 32
    for level in LEVELS:
        packed = compress(rec, level, block_seconds=0.3)
        out = decompress(packed)
        np.testing.assert_array_equal(out.data, rec.data)
        assert (out.sample_rate, out.gain_uv, out.t0) == (rec.sample_rate, rec.gain_uv, rec.t0)
        assert len(packed) < rec.data.nbytes / 2


@settings(max_examples=60, deadline=None)
@given(arrays(np.int16, st.tuples(st.integers(1, 4), st.integers(0, 3 * MIN_BLOCK_SAMPLES))),
       st.sampled_from(LEVELS), st.sampled_from([None, MIN_BLOCK_SAMPLES, MIN_BLOCK_SAMPLES + 7]))
def test_any_int16_array_round_trips_exactly(data, level, block):
    packed = compress(data, level, block, sample_rate=1.0 if block else None)
    out = decompress(packed)
    assert out.data.shape == data.shape and out.data.dtype == np.int16
    np.testing.assert_array_equal(out.data, data)
    reader = CompressedReader(packed)
    bs = reader.header.block_samples
    for block in reader.blocks:  # no block grows; the header and index are small
        assert block.length <= 2 * data[:, block.index * bs:(block.index + 1) * bs].size
    assert len(packed) - sum(b.length for b in reader.blocks) <= 32 + 10 * len(reader.blocks)


def _cases():
    rng = np.random.default_rng(0)
    return {
        "noise": rng.integers(-32768, 32768, (4, 20000)).astype(np.int16),
        "constant": np.full((2, 5000), 1234, np.int16),
        "full scale": np.where(rng.random((1, 8000)) < 0.5, -32768, 32767).astype(np.int16),
        "one sample": np.array([[-32768]], np.int16),
        "no samples": np.zeros((3, 0), np.int16),
    }


@pytest.mark.parametrize("name", list(_cases()))
@pytest.mark.parametrize("level", LEVELS)
def test_never_more_than_header_plus_one_percent_over_raw(name, level):
    data = _cases()[name]
    packed = compress(Recording(data, 30000.0), level)
    assert len(packed) <= data.nbytes * 1.01 + 32, (len(packed), data.nbytes)
    np.testing.assert_array_equal(decompress(packed).data, data)
    wav = wav_bytes(data, 30000)
    packed_wav = compress_wav_bytes(wav, level)
    assert len(packed_wav) <= len(wav) * 1.01 + 32
    assert decompress_wav_bytes(packed_wav) == wav


def test_noise_falls_back_to_stored_blocks():
    data = _cases()["noise"]
    reader = CompressedReader(compress(Recording(data, 1000.0), block_seconds=5.0))
    assert len(reader.blocks) == 4 and {b.method for b in reader.blocks} == {"stored"}


def test_random_access_decodes_only_the_blocks_it_needs(monkeypatch):
    rng = np.random.default_rng(1)
    data = np.cumsum(rng.integers(-20, 21, (3, 10000)), axis=1).astype(np.int16)
    packed = compress(Recording(data, 1000.0, gain_uv=0.25, t0=100.0), "fast", block_seconds=1.0)
    reader = CompressedReader(packed)
    assert len(reader.blocks) == 10
    engine = api._engine()
    original, calls = engine.decode_block, []

    def counting(payload, n_channels, n_samples, level):
        calls.append(n_samples)
        return original(payload, n_channels, n_samples, level)

    monkeypatch.setattr(engine, "decode_block", counting)
    part = decompress(packed, 2.5, 4.2)
    np.testing.assert_array_equal(part.data, data[:, 2500:4200])
    assert part.t0 == pytest.approx(102.5) and part.gain_uv == 0.25
    assert len(calls) == 3  # blocks 2, 3 and 4 of 10
    np.testing.assert_array_equal(reader.read(9990, 20000), data[:, 9990:])
    assert reader.read(500, 500).shape == (3, 0)
    with pytest.raises(InvalidParameterError):
        reader.read(10, 5)


def test_wav_file_with_odd_header_and_trailer_is_restored_exactly(tmp_path):
    data = np.arange(-300, 300, dtype=np.int16).reshape(2, 300)
    body = np.ascontiguousarray(data.T).tobytes()
    fmt_body = bytes.fromhex("01000200401f0000007d000004001000") + b"\x00\x00"  # 18-byte fmt chunk
    fmt = b"fmt " + len(fmt_body).to_bytes(4, "little") + fmt_body
    trailer = b"LIST\x06\x00\x00\x00abcdef"
    riff = b"WAVE" + fmt + b"data" + len(body).to_bytes(4, "little") + body + trailer
    raw = b"RIFF" + len(riff).to_bytes(4, "little") + riff
    path = tmp_path / "odd.wav"
    path.write_bytes(raw)
    packed = compress_wav_file(path)
    assert decompress_wav_bytes(packed) == raw
    np.testing.assert_array_equal(decompress(packed).data, data)


def test_bad_input_is_a_clear_error():
    with pytest.raises(InvalidDataError, match="int16"):
        compress(Recording(np.zeros((1, 10), np.float32), 100.0))
    with pytest.raises(InvalidParameterError, match="level"):
        compress(np.zeros((1, 10), np.int16), "best")
    with pytest.raises(InvalidParameterError, match="block_seconds"):
        compress(np.zeros((1, 10), np.int16), block_seconds=0)
    with pytest.raises(InvalidDataError):
        compress(np.zeros((0, 10), np.int16))
    with pytest.raises(UnsupportedFormatError, match="not made from a WAV"):
        decompress_wav_bytes(compress(np.zeros((1, 10), np.int16)))


@pytest.fixture(scope="module")
def small_packed(neuralink_files):
    raw = neuralink_files[0].read_bytes()
    small = raw[:44] + raw[44:44 + 2 * 1500]  # header says more samples: parse_wav would refuse
    data = np.frombuffer(small[44:], "<i2").astype(np.int16)[None]
    packed = compress(Recording(data, 19531.0), "max", block_seconds=0.03)
    assert len(CompressedReader(packed).blocks) == 3
    return packed, data


def test_every_truncation_raises_corrupt_data(small_packed):
    packed, _ = small_packed
    for k in range(len(packed)):
        with pytest.raises(CorruptDataError):
            decompress(packed[:k])


def test_bit_flips_raise_corrupt_data_never_wrong_output(small_packed):
    packed, data = small_packed
    rng = np.random.default_rng(7)
    n_bits = 8 * len(packed)
    bits = np.unique(np.concatenate([np.arange(min(n_bits, 8 * 40)), rng.choice(n_bits, 400, replace=False)]))
    for bit in bits:
        bad = bytearray(packed)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(CorruptDataError):
            decompress(bytes(bad))


def test_engine_failure_on_a_checksummed_block_is_corrupt_data(monkeypatch, small_packed):
    packed, _ = small_packed

    def broken(*args):
        raise IndexError("index 99 is out of bounds")

    monkeypatch.setattr(api._engine(), "decode_block", broken)
    with pytest.raises(CorruptDataError, match="IndexError"):
        decompress(packed)

    def buggy(*args):  # a programming error is not reported as damaged data
        raise AttributeError("no attribute 'table'")

    monkeypatch.setattr(api._engine(), "decode_block", buggy)
    with pytest.raises(AttributeError):
        decompress(packed)


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0, 0.0, 0.00001, "ten"])
def test_every_compression_path_checks_the_block_length(seconds):
    data = np.zeros((2, 5000), np.int16)
    wav = wav_bytes(data, 20000)
    for call in (lambda: compress(Recording(data, 20000.0), "fast", seconds),
                 lambda: compress(data, "fast", seconds, sample_rate=20000.0),
                 lambda: compress_wav_bytes(wav, "fast", seconds)):
        with pytest.raises(InvalidParameterError, match="block_seconds"):
            call()


def test_blocks_hold_at_least_the_minimum_unless_one_block_holds_everything(tmp_path):
    rate = 20000.0
    data = np.zeros((1, 5000), np.int16)
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(data, int(rate)))
    shortest = MIN_BLOCK_SAMPLES / rate
    with pytest.raises(InvalidParameterError, match=f"at least {shortest:.4g} s"):
        compress_wav_file(path, "fast", 0.99 * shortest)
    header = CompressedReader(compress_wav_file(path, "fast", shortest)).header
    assert header.block_samples == MIN_BLOCK_SAMPLES
    for whole in (None, 1.0, 1e300):  # 1 s is longer than the signal
        reader = CompressedReader(compress_wav_file(path, "fast", whole))
        assert len(reader.blocks) == 1 and reader.wav_bytes() == path.read_bytes()
    tiny = np.zeros((1, 100), np.int16)  # shorter than the shortest block: one block
    assert len(CompressedReader(compress(Recording(tiny, rate), "fast", shortest)).blocks) == 1


def test_time_ranges_are_checked_in_seconds():
    reader = CompressedReader(compress(Recording(np.zeros((1, 5000), np.int16), 1000.0), "fast"))
    with pytest.raises(InvalidParameterError, match=r"start 100 s .* 5 s long"):
        reader.recording(100.0)
    with pytest.raises(InvalidParameterError, match="stop 1 s is not after start 2 s"):
        reader.recording(2.0, 1.0)
    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(InvalidParameterError, match="start"):
            reader.recording(bad)
    assert reader.recording(4.5, 100.0).n_samples == 500  # a stop past the end is the end
