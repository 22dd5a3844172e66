import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import CorruptDataError, CortexlinkError
from cortexlink.fabric.errors_sim import ber_experiment
from cortexlink.fabric.packets import HEADER_BITS, KINDS, Header, air_bits, flip_bits, pack, unpack
from cortexlink.similarity import compress_hashes, decompress_hashes


@settings(max_examples=30, deadline=None)
@given(payload=st.binary(max_size=256), src=st.integers(0, 63), seq=st.integers(0, 65535))
def test_round_trip(payload, src, seq):
    bits = pack(Header(KINDS["signal"], src=src, seq=seq, slot=5), payload)
    assert bits.size == air_bits(len(payload))
    p = unpack(bits)
    assert (
        p.payload == payload
        and p.header.src == src
        and p.header.seq == seq
        and p.header.length == len(payload)
    )


def test_every_single_bit_flip_in_header_or_hash_payload_is_caught():
    codes = np.random.default_rng(1).integers(0, 8, (1, 96), dtype=np.uint8)
    payload = compress_hashes(codes)
    bits = pack(Header(KINDS["hash"], src=2, seq=7), payload)
    assert np.array_equal(decompress_hashes(unpack(bits).payload), codes)
    for k in range(bits.size):
        bad = bits.copy()
        bad[k] ^= 1
        p = unpack(bad, strict=False)
        assert not (p.header_ok and p.data_ok), k
        with pytest.raises(CorruptDataError):
            unpack(bad)
    assert HEADER_BITS == 84


def test_payload_limit_and_field_widths():
    with pytest.raises(CortexlinkError, match="256"):
        pack(Header(0, src=1), bytes(257))
    with pytest.raises(CortexlinkError, match="src"):
        pack(Header(0, src=64), b"")


def test_flip_rate_follows_ber():
    bits = np.zeros(200_000, dtype=np.uint8)
    flipped = flip_bits(bits, 1e-2, np.random.default_rng(0)).sum()
    assert 1500 < flipped < 2500


def test_ber_experiment_drops_hashes_keeps_signals():
    rows = ber_experiment((1e-6, 1e-2), packets=40, seed=3)
    assert rows[0].hash_errors <= rows[1].hash_errors and rows[0].signal_errors <= rows[1].signal_errors
    assert rows[1].signal_errors == 1.0 and all(r.crc_missed == 0 for r in rows)
    assert 0.0 <= rows[1].dtw_flips <= 1.0
