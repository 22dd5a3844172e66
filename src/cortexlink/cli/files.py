"""``cortexlink info`` and ``cortexlink convert``: look inside a recording file, or rewrite it."""

from __future__ import annotations

import argparse
from pathlib import Path

from cortexlink.cli.nwb_options import add_session_options, report_archive_gaps, session_options


def register(subparsers: argparse._SubParsersAction) -> None:
    info = subparsers.add_parser("info", help="show channels, rate, duration, dtype and value range",
                                 description="Show what a recording file holds.")
    info.add_argument("file", type=Path, help="recording: .wav .npz .nwb .edf .bdf .bin .raw .dat .txt .asc")
    _add_reading_options(info)
    info.set_defaults(func=run_info)

    convert = subparsers.add_parser("convert", help="rewrite a recording in another format",
                                    description="Read IN and write it to OUT, the format chosen by OUT's "
                                                "extension (.wav .npz .nwb .bin .raw .dat).")
    convert.add_argument("input", type=Path, metavar="IN", help="recording to read")
    convert.add_argument("output", type=Path, metavar="OUT", help="file to write")
    _add_reading_options(convert)
    convert.add_argument("--out-gain", type=float, metavar="UV",
                         help="microvolts per count when writing WAV: quantises float data, re-scales counts")
    convert.add_argument("--compress", action="store_true", help="deflate the arrays of an .npz output")
    add_session_options(convert)
    convert.set_defaults(func=run_convert)


def _add_reading_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading options", "for files that do not describe themselves")
    group.add_argument("--sample-rate", type=float, metavar="HZ", help="sample rate of raw and text files")
    group.add_argument("--dtype", help="sample type of raw files: int16, uint16, int32, float32, ...")
    group.add_argument("--channels", type=int, metavar="N", help="interleaved channels in a raw file")
    group.add_argument("--gain", type=float, metavar="UV",
                       help="microvolts per count of integer samples in WAV, raw and text files")
    group.add_argument("--series", metavar="NAME", help="ElectricalSeries to read from an NWB file")
    group.add_argument("--format", help="read as this format, whatever the extension "
                                        "(wav, npz, nwb, edf, raw, text)")


def _open(path: Path, args: argparse.Namespace):
    from cortexlink.io import open_recording

    return open_recording(path, format=args.format, sample_rate=args.sample_rate, dtype=args.dtype,
                          n_channels=args.channels, gain_uv=args.gain, series_name=args.series)


def describe(recording, path: Path, format: str) -> list[str]:
    """Lines of ``cortexlink info`` for ``recording`` read from ``path``."""
    import numpy as np

    data = recording.data
    lo, hi = (data.min(), data.max()) if data.size else (0, 0)
    if data.dtype == np.int16:
        value_range = f"{lo} .. {hi} counts ({lo * recording.gain_uv:.6g} .. {hi * recording.gain_uv:.6g} uV)"
    else:
        value_range = f"{lo:.6g} .. {hi:.6g} uV"
    lines = [
        ("file", str(path)),
        ("format", format),
        ("channels", str(recording.n_channels)),
        ("samples", str(recording.n_samples)),
        ("sample rate", f"{recording.sample_rate:.15g} Hz"),
        ("duration", f"{recording.duration:.6g} s"),
        ("dtype", str(data.dtype)),
        ("value range", value_range),
        ("gain", f"{recording.gain_uv:.6g} uV per count"),
        ("start time", f"{recording.t0:.6g} s"),
        ("site", recording.site),
    ]
    names = recording.metadata.get("channel_names")
    if names:
        shown = ", ".join(map(str, names[:8])) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        lines.append(("channel names", shown))
    annotations = recording.metadata.get("annotations")
    if annotations:
        lines.append(("annotations", str(len(annotations))))
    source = recording.metadata.get("sample_rate_source")
    if source:
        lines.append(("rate from", source))
    layout = recording.metadata.get("layout_source")
    if layout:
        lines.append(("layout", layout))
    return [f"{key:<14}{value}" for key, value in lines]


def run_info(args: argparse.Namespace) -> int:
    from cortexlink.io import format_of

    recording = _open(args.file, args)
    print("\n".join(describe(recording, args.file, format_of(args.file, args.format))))
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from cortexlink.core.errors import InvalidParameterError
    from cortexlink.io import readback_options, save_recording

    if args.input.resolve() == args.output.resolve():
        raise InvalidParameterError(f"IN and OUT are the same file ({args.input}); write to another path")
    recording = _open(args.input, args)
    written = save_recording(recording, args.output, gain_uv=args.out_gain,
                             compressed=args.compress or None, session=session_options(args))
    if written == "wav" and args.out_gain is not None:
        recording.gain_uv = args.out_gain  # the counts in the file are of this size now
    print(f"wrote {args.output} ({written}, {recording.n_channels} ch x {recording.n_samples} samples "
          f"at {recording.sample_rate:.15g} Hz)")
    if written == "nwb":
        report_archive_gaps(args.output, recording.metadata, session_options(args))
    hint = readback_options(recording, written)
    if hint:
        print(f"read it back with: cortexlink info {args.output} {hint}")
    return 0
