"""Lossless codec benchmark on the shared Neuralink files: cortexlink per level against the peers.

Every codec gets the same WAV files in the same run. ``ratio`` is the challenge's formula, total
original bytes / (total compressed bytes + program bytes); the program is cortexlink's own codec
source files (``cortexlink.codec.evaluate.program_size``) and 0 for every peer, which favours the
peers. ``exact`` counts files whose decoded WAV equals the original byte for byte. Throughput is
M samples/s on one process, timed in-process except FLAC and WavPack (one run of Debian's ``flac``,
``wavpack`` and ``wvunpack`` tools over all files: ``apt-get install flac wavpack``).
Then the streaming encoder's per-chunk latency on 1 ms chunks of 1024 channels.

    python benchmarks/codec.py [--data DIR] [--brainwire-files N] [--stream-only]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "neuralink"


@dataclass
class Row:
    name: str
    files: int = 0
    original: int = 0
    compressed: int = 0
    samples: int = 0
    encode_s: float = 0.0
    decode_s: float = 0.0
    exact: int = 0
    program: int = 0
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.original / max(1, self.compressed + self.program)


def _samples(raw: bytes) -> int:
    return (len(raw) - 44) // 2


def run_inprocess(name: str, raws: list[bytes], encode: Callable[[bytes], bytes],
                  decode: Callable[[bytes], bytes], program: int = 0, note: str = "") -> Row:
    """Time ``encode``/``decode`` of whole WAV files in this process; count byte-exact restores."""
    decode(encode(raws[0]))  # warm-up (JIT, imports), not timed
    row = Row(name, program=program, note=note)
    for raw in raws:
        t0 = time.perf_counter()
        packed = encode(raw)
        t1 = time.perf_counter()
        restored = decode(packed)
        t2 = time.perf_counter()
        row.files += 1
        row.original += len(raw)
        row.compressed += len(packed)
        row.samples += _samples(raw)
        row.encode_s += t1 - t0
        row.decode_s += t2 - t1
        row.exact += restored == raw
    return row


def cortexlink_rows(raws: list[bytes]) -> list[Row]:
    from cortexlink.codec.api import compress_wav_bytes, decompress_wav_bytes
    from cortexlink.codec.evaluate import program_size
    from cortexlink.codec.levels import LEVELS

    program = program_size()
    return [run_inprocess(f"cortexlink {level}", raws, lambda r, lv=level: compress_wav_bytes(r, lv),
                          decompress_wav_bytes, program, f"program = {program} B of codec source")
            for level in LEVELS]


def general_purpose_rows(raws: list[bytes]) -> list[Row]:
    import bz2
    import lzma

    rows = [
        run_inprocess("bzip2 -9", raws, lambda r: bz2.compress(r, 9), bz2.decompress),
        run_inprocess("xz -9e", raws, lambda r: lzma.compress(r, preset=9 | lzma.PRESET_EXTREME),
                      lzma.decompress),
    ]
    try:
        import zstandard
    except ImportError as exc:
        return [*rows, Row("zstd -19", note=f"not run: {exc}")]
    cctx, dctx = zstandard.ZstdCompressor(level=19), zstandard.ZstdDecompressor()
    return [*rows, run_inprocess("zstd -19", raws, cctx.compress, dctx.decompress)]


@dataclass
class CommandLineCodec:
    """A peer run as a command-line tool over all files at once: ``encode(files, out_dir)`` and
    ``decode(files, out_dir)`` give the argument lists; ``package`` is the Debian package."""

    name: str
    package: str
    suffix: str
    encode: Callable[[list[str], Path], list[str]]
    decode: Callable[[list[str], Path], list[str]]


_FLAC_COMMON = ["--silent", "--force", "--no-padding"]
FLAC = CommandLineCodec(
    "FLAC -8", "flac", ".flac",
    lambda files, out: ["flac", "-8", *_FLAC_COMMON, f"--output-prefix={out}/", *files],
    lambda files, out: ["flac", "-d", *_FLAC_COMMON, f"--output-prefix={out}/", *files])
WAVPACK = CommandLineCodec(  # -hh: "very high", the mode of wavpack-numcodecs' level 4 used before
    "WavPack -hh", "wavpack", ".wv",
    lambda files, out: ["wavpack", "-hh", "-q", "-y", *files, "-o", str(out)],
    lambda files, out: ["wvunpack", "-q", "-y", *files, "-o", str(out)])


def command_line_row(codec: CommandLineCodec, paths: list[Path]) -> Row:
    """One run of the tool over all files each way, timed with its start-up; byte-exact check after."""
    row = Row(codec.name, note=f"{codec.package} CLI, one run over all files, start-up included")
    with tempfile.TemporaryDirectory() as tmp:
        enc_dir, dec_dir = Path(tmp) / "enc", Path(tmp) / "dec"
        enc_dir.mkdir()
        dec_dir.mkdir()
        try:
            t0 = time.perf_counter()
            subprocess.run(codec.encode([str(p) for p in paths], enc_dir), check=True)
            t1 = time.perf_counter()
            subprocess.run(codec.decode([str(enc_dir / f"{p.stem}{codec.suffix}") for p in paths], dec_dir),
                           check=True)
            t2 = time.perf_counter()
        except (OSError, subprocess.CalledProcessError) as exc:
            row.note = f"not run: {exc} (apt-get install {codec.package})"
            return row
        for path in paths:
            raw = path.read_bytes()
            row.files += 1
            row.original += len(raw)
            row.compressed += (enc_dir / f"{path.stem}{codec.suffix}").stat().st_size
            row.samples += _samples(raw)
            row.exact += (dec_dir / f"{path.stem}.wav").read_bytes() == raw
        row.encode_s, row.decode_s = t1 - t0, t2 - t1
    return row


def brainwire_row(paths: list[Path]) -> Row:
    try:
        from brainwire import decode as bw_decode
        from brainwire import encode as bw_encode
    except ImportError as exc:
        return Row("brainwire", note=f"not run: {exc} (pip install brainwire bitstring)")
    from cortexlink.io.wav import wav_bytes

    def decode(data: bytes) -> bytes:  # back to a WAV file, to compare byte for byte
        rate, samples = bw_decode.decompress(data)
        return wav_bytes(np.asarray(samples, np.int16).reshape(1, -1), rate)

    by_bytes = {p.read_bytes(): p for p in paths}
    row = run_inprocess("brainwire", list(by_bytes), lambda raw: bw_encode.compress(file=str(by_bytes[raw])),
                        decode, note=f"PyPI brainwire 0.1.x, first {len(paths)} files")
    return row


def stream_latency(raws: list[bytes], n_channels: int = 1024, chunk: int = 20, seconds: float = 4.0,
                   warmup_s: float = 0.2) -> None:
    """Per-chunk latency of the streaming encoder/decoder on 1 ms chunks of an N1-sized implant
    (the shared files tiled over ``n_channels`` electrodes at different offsets). Every chunk counts,
    the first ones too, while each channel still learns its lattice; the steady-state line leaves
    out the first ``warmup_s``."""
    from cortexlink.codec.stream import Decoder, Encoder

    n = int(seconds * 20000)
    data = np.empty((n_channels, n), np.int16)
    for c in range(n_channels):
        samples = np.frombuffer(raws[c % len(raws)], "<i2", offset=44)
        start = (c // len(raws)) * 7919 % max(1, len(samples) - n)
        data[c] = samples[start:start + n]
    chunks = [np.ascontiguousarray(data[:, a:a + chunk]) for a in range(0, n, chunk)]  # as a live source
    skip = int(warmup_s * 20000) // chunk
    for level, secs in (("fast", seconds), ("max", min(seconds, 1.0))):  # max is ~20x slower
        part_chunks = chunks[:int(secs * 20000) // chunk]
        warm = Encoder(n_channels, 20000.0, level)
        Decoder.from_header(warm.header())[0].decode(warm.encode(chunks[0]))  # JIT warm-up
        enc = Encoder(n_channels, 20000.0, level)
        dec, _ = Decoder.from_header(enc.header())
        enc_ns, dec_ns, size = [], [], 0
        for part in part_chunks:
            t0 = time.perf_counter_ns()
            frame = enc.encode(part)
            t1 = time.perf_counter_ns()
            out = dec.decode(frame)
            t2 = time.perf_counter_ns()
            enc_ns.append(t1 - t0)
            dec_ns.append(t2 - t1)
            size += len(frame)
            assert np.array_equal(out, part)
        print(f"stream {level:<5} {n_channels} ch x {chunk} samples/chunk, {len(enc_ns)} chunks "
              f"({secs:g} s), ratio {2 * chunk * n_channels * len(part_chunks) / size:.3f}")
        for name, ns in (("encode", np.array(enc_ns) / 1e6), ("decode", np.array(dec_ns) / 1e6)):
            p50, p99 = np.percentile(ns, [50, 99])
            s99 = np.percentile(ns[skip:], 99)
            print(f"  {name}: p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ns.max():.3f} ms "
                  f"(after {warmup_s * 1e3:.0f} ms: p99 {s99:.3f} ms, max {ns[skip:].max():.3f} ms)")


def print_table(rows: list[Row]) -> None:
    print(f"{'codec':<24}{'files':>6}{'exact':>7}{'ratio':>9}{'encode MS/s':>13}{'decode MS/s':>13}  note")
    for r in rows:
        if not r.files:
            print(f"{r.name:<24}{'-':>6}{'-':>7}{'-':>9}{'-':>13}{'-':>13}  {r.note}")
            continue
        enc = r.samples / max(r.encode_s, 1e-12) / 1e6
        dec = r.samples / max(r.decode_s, 1e-12) / 1e6
        print(f"{r.name:<24}{r.files:>6}{r.exact:>7}{r.ratio:>9.4f}{enc:>13.2f}{dec:>13.2f}  {r.note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of WAV files")
    parser.add_argument("--stream-only", action="store_true", help="only the streaming latency")
    parser.add_argument("--brainwire-files", type=int, default=5, metavar="N",
                        help="files to give brainwire, which takes ~10 s per file to decode (0: all)")
    args = parser.parse_args(argv)
    paths = sorted(args.data.glob("*.wav"))
    if not paths:
        raise SystemExit(f"no .wav files in {args.data}")
    raws = [p.read_bytes() for p in paths]
    n_bw = args.brainwire_files or len(paths)
    print(f"{len(paths)} files, {sum(map(len, raws))} bytes, {sum(map(_samples, raws))} samples "
          f"from {args.data}")
    if not args.stream_only:
        rows = [*cortexlink_rows(raws), *general_purpose_rows(raws), command_line_row(FLAC, paths),
                command_line_row(WAVPACK, paths), brainwire_row(paths[:n_bw])]
        print_table(rows)
        print("ratio = original / (compressed + program); program counted for cortexlink only (peers: 0).")
    stream_latency(raws)


if __name__ == "__main__":
    main()
