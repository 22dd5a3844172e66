"""``cortexlink compress``, ``decompress`` and ``codec-eval``: the lossless codec on files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cortexlink.codec.api import DEFAULT_BLOCK_SECONDS, MIN_BLOCK_SAMPLES
from cortexlink.codec.levels import DEFAULT_LEVEL, LEVELS


def register(subparsers: argparse._SubParsersAction) -> None:
    comp = subparsers.add_parser(
        "compress", help="compress a recording losslessly",
        description="Compress IN (a WAV file is restored byte for byte later; other formats are read "
                    "as recordings of int16 counts) into OUT.")
    comp.add_argument("input", type=Path, metavar="IN", help="recording to compress (.wav, .npz, ...)")
    comp.add_argument("output", type=Path, metavar="OUT", help="compressed file to write")
    comp.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                      help=f"compression level (default {DEFAULT_LEVEL})")
    comp.add_argument("--block-seconds", type=float, default=DEFAULT_BLOCK_SECONDS, metavar="S",
                      help=f"length of the independently decodable blocks, {MIN_BLOCK_SAMPLES} samples or "
                           f"more (default {DEFAULT_BLOCK_SECONDS:g})")
    comp.set_defaults(func=run_compress)

    dec = subparsers.add_parser(
        "decompress", help="restore a compressed recording",
        description="Decompress IN into OUT. A file compressed from a WAV comes back byte for byte "
                    "as .wav; any other extension is written as a recording in that format.")
    dec.add_argument("input", type=Path, metavar="IN", help="compressed file")
    dec.add_argument("output", type=Path, metavar="OUT", help="recording to write (.wav, .npz, ...)")
    dec.add_argument("--start", type=float, metavar="S", help="first second to restore (decodes only the "
                                                             "blocks needed)")
    dec.add_argument("--stop", type=float, metavar="S", help="second to stop at")
    dec.set_defaults(func=run_decompress)

    ev = subparsers.add_parser(
        "codec-eval", help="score the codec the Neuralink challenge's way on a folder of WAV files",
        description="Compress, decompress and compare every .wav in DIR byte for byte; the ratio is total "
                    "original bytes / (total compressed bytes + codec program bytes). Files that cannot "
                    "be read are listed with their reason; the exit status is 1 if any failed or differ.")
    ev.add_argument("directory", type=Path, metavar="DIR", help="folder of WAV files")
    ev.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                    help=f"compression level (default {DEFAULT_LEVEL})")
    ev.add_argument("--plot", type=Path, metavar="PNG", help="save a histogram of per-file ratios")
    ev.set_defaults(func=run_codec_eval)


def run_compress(args: argparse.Namespace) -> int:
    from cortexlink.codec.files import compress_file

    done = compress_file(args.input, args.output, args.level, args.block_seconds)
    print(f"{args.input} -> {args.output}: {done.original_bytes} -> {done.compressed_bytes} bytes, "
          f"ratio {done.ratio:.4f}, {done.seconds:.3f} s ({args.level})")
    return 0


def run_decompress(args: argparse.Namespace) -> int:
    from cortexlink.codec.files import decompress_file

    done = decompress_file(args.input, args.output, args.start, args.stop)
    print(f"{args.input} -> {args.output}: {done.n_channels} ch x {done.n_samples} samples ({done.kind})")
    return 0


def run_codec_eval(args: argparse.Namespace) -> int:
    from cortexlink.codec.evaluate import evaluate_dir, plot_ratios
    from cortexlink.core.paths import writable_target

    if args.plot:
        writable_target(args.plot)  # before the work, not after it
    score = evaluate_dir(args.directory, args.level)
    n_exact = sum(f.exact for f in score.files)
    rows = [
        ("files", f"{len(score.files)} ({n_exact} byte-exact)"
                  + (f", {len(score.failures)} failed" if score.failures else "")),
        ("original bytes", f"{score.original_bytes}"),
        ("compressed bytes", f"{score.compressed_bytes}"),
        ("program bytes", f"{score.program_bytes} (codec source files)"),
        ("ratio", f"{score.ratio:.4f}  (original / (compressed + program))"),
        ("ratio, data only", f"{score.original_bytes / max(1, score.compressed_bytes):.4f}"),
        ("encode", f"{score.encode_msps:.2f} M samples/s"),
        ("decode", f"{score.decode_msps:.2f} M samples/s"),
    ]
    print(f"codec-eval {args.directory} (level {score.level})")
    for name, value in rows:
        print(f"  {name:<17} {value}")
    if args.plot:
        plot_ratios(score, args.plot)
        print(f"  plot              {args.plot}")
    if not score.all_exact:
        bad = [f.name for f in score.files if not f.exact]
        print(f"NOT LOSSLESS: {len(bad)} file(s) differ after the round trip: {', '.join(bad[:10])}")
    if score.failures:
        print(f"FAILED: {len(score.failures)} file(s) could not be scored:")
        for failure in score.failures:
            print(f"  {failure.name}: {failure.reason}")
    return 0 if score.ok else 1
