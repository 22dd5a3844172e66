"""Container format: every header field survives, damage and absurd sizes are refused early."""

import struct
import zlib

import pytest

from cortexlink.codec import container
from cortexlink.codec.container import Header, pack, payload, unpack
from cortexlink.core.errors import CorruptDataError
from cortexlink.io.wav import wav_header

BLOCKS = [("max", b"abc"), ("stored", b"\x01\x00" * 4), ("fast", b"z")]


def _header(**changes) -> Header:
    fields = dict(n_channels=2, n_samples=10, sample_rate=30000.0, block_samples=4)
    fields.update(changes)
    return Header(**fields)


@pytest.mark.parametrize("changes", [
    {},
    {"sample_rate": 19531.25, "gain_uv": 0.195, "t0": -12.5},
    {"wav_header": wav_header(2, 10, 30000)},
    {"wav_header": b"RIFF....WAVE odd header bytes", "wav_trailer": b"LIST\x04\x00\x00\x00abcd"},
])
def test_header_and_blocks_round_trip(changes):
    h = _header(**changes)
    data = pack(h, BLOCKS)
    got, blocks = unpack(data)
    assert got == h
    assert [(b.method, payload(data, b)) for b in blocks] == BLOCKS
    assert [b.index for b in blocks] == [0, 1, 2]


def test_standard_wav_header_is_not_stored_but_rebuilt():
    plain = pack(_header(), BLOCKS)
    with_wav = pack(_header(wav_header=wav_header(2, 10, 30000)), BLOCKS)
    assert len(with_wav) == len(plain)
    odd = wav_header(2, 10, 30000)[:-1] + b"\x01"
    assert len(pack(_header(wav_header=odd), BLOCKS)) == len(plain) + 1 + len(odd)


def test_empty_recording_has_no_blocks():
    data = pack(_header(n_samples=0, block_samples=1), [])
    header, blocks = unpack(data)
    assert header.n_samples == 0 and blocks == []


def test_bad_magic_and_version_are_refused():
    data = pack(_header(), BLOCKS)
    with pytest.raises(CorruptDataError, match="magic"):
        unpack(b"RIFF" + data[4:])
    with pytest.raises(CorruptDataError, match="version"):
        unpack(data[:3] + bytes([container.VERSION + 1]) + data[4:])


def _with_valid_crc(head: bytes) -> bytes:
    return head + struct.pack("<I", zlib.crc32(head))


def test_absurd_sample_count_is_refused_before_allocation():
    # a well-formed header (valid CRC) declaring 10**12 samples in 1000-sample blocks of 2 channels
    v = container.varint_bytes
    head = container.MAGIC + bytes([container.VERSION, 0]) + v(2) + v(10**12) + v(1000) + v(30000)
    with pytest.raises(CorruptDataError, match="declares 1000000000000 samples"):
        unpack(_with_valid_crc(head) + b"\x00" * 64)


@pytest.mark.parametrize("n_ch, bs", [(0, 10), (container.MAX_CHANNELS + 1, 1),
                                      (4, container.MAX_BLOCK_VALUES)])
def test_absurd_channel_or_block_sizes_are_refused(n_ch, bs):
    v = container.varint_bytes
    head = container.MAGIC + bytes([container.VERSION, 0]) + v(n_ch) + v(bs) + v(bs) + v(30000)
    with pytest.raises(CorruptDataError, match="out of range"):
        unpack(_with_valid_crc(head))


def test_every_truncation_and_trailing_bytes_are_refused():
    data = pack(_header(wav_header=b"hdr", wav_trailer=b"tail"), BLOCKS)
    for k in range(len(data)):
        with pytest.raises(CorruptDataError):
            unpack(data[:k])
    with pytest.raises(CorruptDataError, match="trailing"):
        unpack(data + b"\x00")


def test_every_bit_flip_is_caught_by_header_or_block_crc():
    data = pack(_header(sample_rate=1000.5, gain_uv=2.0), BLOCKS)
    for bit in range(8 * len(data)):
        bad = bytearray(data)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(CorruptDataError):
            _, blocks = unpack(bytes(bad))
            for block in blocks:
                payload(bytes(bad), block)


def test_overlong_varint_is_refused():
    head = container.MAGIC + bytes([container.VERSION, 0]) + b"\xff" * 12
    with pytest.raises(CorruptDataError, match="over-long"):
        unpack(head)
