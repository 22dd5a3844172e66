"""The compression engine: exact round trips, streams, damaged payloads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cortexlink.codec import engine
from cortexlink.codec.levels import LEVELS
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.io.wav import read_wav


def _neuralink(data_dir):
    files = sorted((data_dir / "neuralink").glob("*.wav"))
    assert len(files) >= 100
    return files


def _roundtrip(data: np.ndarray, level: str) -> bytes:
    payload = engine.encode_block(data, level)
    back = engine.decode_block(payload, data.shape[0], data.shape[1], level)
    assert back.dtype == np.int16 and back.shape == data.shape
    np.testing.assert_array_equal(back, data)
    return payload


def _lattice_signal(rng, n_ch: int, n: int) -> np.ndarray:
    """Random walk plus spikes, quantised like a 10-bit ADC written as int16 (step 65535/1023)."""
    walk = np.cumsum(rng.normal(0, 3, (n_ch, n)), axis=1)
    spikes = (rng.random((n_ch, n)) < 0.002) * rng.normal(-60, 20, (n_ch, n))
    codes = np.clip(np.rint(512 + walk - walk.mean(axis=1, keepdims=True) + spikes), 0, 1023)
    scaled = (codes - 511.5) * (65535 / 1023)
    return np.trunc(scaled).astype(np.int16)


def test_every_neuralink_file_round_trips_fast_and_a_spread_at_max(data_dir):
    raw = coded = 0
    for i, path in enumerate(_neuralink(data_dir)):
        data = read_wav(path).data
        payload = _roundtrip(data, "fast")
        raw, coded = raw + data.nbytes, coded + len(payload)
        if i % 10 == 0:
            assert len(_roundtrip(data, "max")) < len(payload)
    assert raw / coded > 3.3


@pytest.mark.parametrize("level", LEVELS)
def test_multichannel_lattice_signal_round_trips_and_compresses(level):
    data = _lattice_signal(np.random.default_rng(1), 6, 3000)
    assert len(_roundtrip(data, level)) < data.nbytes / 2


@pytest.mark.parametrize("level", LEVELS)
def test_a_few_samples_off_the_lattice_do_not_cost_the_lattice(level):
    clean = _lattice_signal(np.random.default_rng(7), 2, 5000)
    glitched = clean.copy()
    glitched[0, [10, 2000, 4999]] += np.array([1, -3, 7], np.int16)
    glitched[1, 0] = 12345
    assert len(_roundtrip(glitched, level)) < 1.05 * len(engine.encode_block(clean, level))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(2).integers(-32768, 32768, (3, 2000)).astype(np.int16),
        np.full((2, 500), -7, np.int16),
        np.tile(np.array([-32768, 32767], np.int16), (2, 300)),
        np.array([[32767, -32768, 32767, 0, -32768]], np.int16),
        np.zeros((4, 0), np.int16),
        np.zeros((0, 5), np.int16),
        np.array([[5], [-32768], [32767]], np.int16),
        np.cumsum(np.random.default_rng(3).integers(-300, 300, (2, 4000)), axis=1).astype(np.int16),
    ],
    ids=["noise", "constant", "full-scale", "extremes", "empty", "no-channels", "one-sample", "wide-walk"],
)
def test_awkward_blocks_round_trip_never_larger_than_raw_plus_one(data, level):
    assert len(_roundtrip(data, level)) <= data.nbytes + 1


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int16, st.tuples(st.integers(1, 3), st.integers(0, 70))),
    st.sampled_from(LEVELS),
)
def test_arbitrary_int16_arrays_round_trip(data, level):
    _roundtrip(data, level)


@pytest.mark.parametrize("level", LEVELS)
def test_stream_chunks_decode_to_the_block_data(level):
    rng = np.random.default_rng(4)
    data = np.concatenate([_lattice_signal(rng, 5, 700), rng.integers(-900, 900, (1, 700)).astype(np.int16)])
    enc, dec = engine.StreamEncoder(6, level), engine.StreamDecoder(6, level)
    cuts = [0, 1, 21, 41, 41, 300, 700]
    parts = [dec.decode(enc.encode(data[:, a:b]), b - a) for a, b in zip(cuts, cuts[1:], strict=False)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), data)


@pytest.mark.parametrize("level", LEVELS)
def test_stream_of_real_channels_learns_their_lattice(data_dir, level):
    files = _neuralink(data_dir)[:8]
    data = np.concatenate([read_wav(f).data[:, 5000:8000] for f in files])
    enc, dec = engine.StreamEncoder(8, level), engine.StreamDecoder(8, level)
    coded = [enc.encode(data[:, a:a + 20]) for a in range(0, 3000, 20)]
    back = np.concatenate([dec.decode(p, 20) for p in coded], axis=1)
    np.testing.assert_array_equal(back, data)
    assert data.nbytes / sum(map(len, coded)) > 2.5


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=6), st.sampled_from(LEVELS))
def test_any_chunking_of_a_stream_decodes_to_the_data(cuts, level):
    data = _lattice_signal(np.random.default_rng(6), 3, 400)
    bounds = [0, *sorted(cuts), 400]
    enc, dec = engine.StreamEncoder(3, level), engine.StreamDecoder(3, level)
    parts = [dec.decode(enc.encode(data[:, a:b]), b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), data)


@pytest.mark.parametrize("level", LEVELS)
def test_stream_learns_a_bounded_number_of_maps_per_chunk_and_carries_misses_beside(level):
    data = _lattice_signal(np.random.default_rng(7), 24, 1200)
    data[:, 900:905] += 1  # off every lattice: these samples must travel as exceptions
    enc, dec = engine.StreamEncoder(24, level), engine.StreamDecoder(24, level)
    coded = [enc.encode(data[:, a:a + 20]) for a in range(0, 1200, 20)]
    for p in coded:
        assert not p[0] & 1 or int.from_bytes(p[1:5], "little") <= engine._BUDGET
    assert coded[900 // 20][0] & 2
    back = np.concatenate([dec.decode(p, 20) for p in coded], axis=1)
    np.testing.assert_array_equal(back, data)
    assert data.nbytes / sum(map(len, coded)) > 2


def _damaged(payload: bytes, rng) -> list[bytes]:
    out = [payload[:n] for n in sorted({0, 1, 2, len(payload) // 2, len(payload) - 1})]
    for pos in rng.choice(len(payload) * 8, 60, replace=False):
        b = bytearray(payload)
        b[pos // 8] ^= 1 << (pos % 8)
        out.append(bytes(b))
    return out


@pytest.mark.timeout(60)
@pytest.mark.parametrize("level", LEVELS)
def test_damaged_payloads_raise_corrupt_data_or_decode_to_something_never_crash(level):
    rng = np.random.default_rng(5)
    data = _lattice_signal(rng, 2, 1500)
    payload = engine.encode_block(data, level)
    wrong = 0
    for bad in _damaged(payload, rng):
        try:
            out = engine.decode_block(bad, 2, 1500, level)
        except CorruptDataError:
            continue
        assert out.shape == data.shape and out.dtype == np.int16
        wrong += not np.array_equal(out, data)
    stream = engine.StreamEncoder(2, level).encode(data)
    for bad in _damaged(stream, rng):
        try:
            engine.StreamDecoder(2, level).decode(bad, 1500)
        except CorruptDataError:
            pass
    assert wrong < 30  # most damage is detected by the engine itself


def test_absurd_sizes_and_bad_arguments_are_rejected():
    payload = engine.encode_block(np.zeros((1, 10), np.int16), "max")
    with pytest.raises(CorruptDataError):
        engine.decode_block(payload, 1, 10**12, "max")
    with pytest.raises(CorruptDataError):
        engine.decode_block(payload, 10**9, 1, "max")
    with pytest.raises(CorruptDataError):
        engine.StreamDecoder(1).decode(payload, 10**12)
    with pytest.raises(InvalidParameterError):
        engine.encode_block(np.zeros((1, 10), np.int16), "best")
    with pytest.raises(InvalidDataError):
        engine.encode_block(np.zeros((1, 10), np.float32))
    with pytest.raises(InvalidDataError):
        engine.StreamEncoder(2).encode(np.zeros((3, 10), np.int16))
