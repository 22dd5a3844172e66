"""Bit errors on the intra-implant network and what they do to the DTW decision (Hull Fig. 12).

Hash packets (compressed hashes) and signal packets (one electrode's 120-sample window, 240 bytes)
cross a link with uniform bit flips at a given BER. Hull's policy: a hash packet with a bad CRC is
dropped; a signal packet is kept whatever its CRC says (DTW is robust to a few errors). For each
kept erroneous signal packet we ask whether the receiver's decision "this window matches mine"
(DTW distance below a threshold) flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.fabric.packets import KINDS, Header, flip_bits, pack, unpack

__all__ = ["BerResult", "ber_experiment"]


@dataclass(frozen=True)
class BerResult:
    ber: float
    hash_packets: int
    hash_errors: float  # fraction of hash packets with any bit error (dropped)
    signal_packets: int
    signal_errors: float  # fraction of signal packets with any bit error (kept)
    dtw_flips: float  # fraction of erroneous signal packets whose DTW decision flipped
    crc_missed: int  # erroneous packets both CRCs passed (should be 0)


def _windows(rng: np.random.Generator, n: int, length: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of int16 windows: half similar (one is the other plus noise), half unrelated."""
    base = np.cumsum(rng.normal(0, 40, (n, length)), axis=1)
    other = np.cumsum(rng.normal(0, 40, (n, length)), axis=1)
    similar = rng.random(n) < 0.5
    partner = np.where(similar[:, None], base + rng.normal(0, 30, (n, length)), other)
    return np.clip(base, -32768, 32767).astype(np.int16), np.clip(partner, -32768, 32767).astype(np.int16)


def ber_experiment(
    bers: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2),
    packets: int = 2000,
    seed: int = 0,
    band: int = 12,
) -> list[BerResult]:
    """Fractions of erroneous hash and signal packets and of flipped DTW decisions per BER."""
    from cortexlink.similarity import compress_hashes, dtw

    rng = np.random.default_rng(seed)
    local, sent = _windows(rng, packets)
    clean = np.array([dtw(a.astype(float), b.astype(float), band) for a, b in zip(local, sent, strict=True)])
    threshold = float(np.median(clean))
    decision = clean < threshold
    # one 8-bit hash per electrode; hashes of neighbouring windows repeat, so few codes dominate
    codes = np.minimum(rng.zipf(1.6, (packets, 96)), 255).astype(np.uint8)
    hash_bits = [
        pack(Header(KINDS["hash"], src=1, seq=k), compress_hashes(c[None, :])) for k, c in enumerate(codes)
    ]
    signal_bits = [pack(Header(KINDS["signal"], src=1, seq=k), w.tobytes()) for k, w in enumerate(sent)]
    out = []
    for ber in bers:
        r = np.random.default_rng([seed, int(round(-np.log10(ber) * 1000)) if ber > 0 else 0])
        hash_err = missed = 0
        for bits in hash_bits:
            got = flip_bits(bits, ber, r)
            if not np.array_equal(got, bits):
                hash_err += 1
                p = unpack(got, strict=False)
                missed += p.header_ok and p.data_ok
        sig_err = flips = 0
        for k, bits in enumerate(signal_bits):
            got = flip_bits(bits, ber, r)
            if np.array_equal(got, bits):
                continue
            sig_err += 1
            p = unpack(got, strict=False)
            missed += p.header_ok and p.data_ok
            window = np.frombuffer(p.payload, dtype=np.int16).astype(float)
            flips += (dtw(local[k].astype(float), window, band) < threshold) != decision[k]
        out.append(
            BerResult(
                ber,
                packets,
                hash_err / packets,
                packets,
                sig_err / packets,
                float(flips) / sig_err if sig_err else 0.0,
                missed,
            )
        )
    return out
