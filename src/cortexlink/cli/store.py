"""``cortexlink store info|ls|export``: what a store holds, and writing it out as NPZ or NWB."""

from __future__ import annotations

import argparse
from pathlib import Path

from cortexlink.cli.nwb_options import add_session_options, report_archive_gaps, session_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "store",
        help="inspect site stores and export them as NPZ/NWB",
        description="Site stores are what recorders write (cortexlink.store): "
        "per-channel chunked signal, hash stream, time index, events.",
    )
    sub = p.add_subparsers(dest="store_command", metavar="ACTION", parser_class=type(p))
    info = sub.add_parser("info", help="one store in detail")
    info.add_argument("store", type=Path, metavar="STORE", help="a store folder")
    info.set_defaults(func=run_info)
    ls = sub.add_parser("ls", help="every store under folders, one line each")
    ls.add_argument("paths", type=Path, nargs="+", metavar="DIR", help="store folders or folders of stores")
    ls.set_defaults(func=run_ls)
    ex = sub.add_parser("export", help="write a store's retained samples as a recording file")
    ex.add_argument("store", type=Path, metavar="STORE", help="a store folder")
    fmt = ex.add_mutually_exclusive_group()
    fmt.add_argument("--nwb", action="store_const", const="nwb", dest="format", help="write NWB")
    fmt.add_argument("--npz", action="store_const", const="npz", dest="format", help="write NPZ (default)")
    ex.add_argument("--out", type=Path, metavar="FILE", help="output file (default: STORE.npz or STORE.nwb)")
    ex.add_argument("--start", type=float, metavar="S", help="first second since the store began")
    ex.add_argument("--stop", type=float, metavar="S", help="last second (exclusive)")
    add_session_options(ex)
    ex.set_defaults(func=run_export, format="npz")
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def run_info(args: argparse.Namespace) -> int:
    from cortexlink.store import open_store

    s = open_store(args.store).summary()
    for key in (
        "site",
        "path",
        "channels",
        "sample_rate",
        "seconds",
        "retained_s",
        "sealed_chunks",
        "tail_files",
        "events",
        "hash_window",
        "format_version",
        "closed",
    ):
        print(f"{key:<15} {s[key]}")
    print(f"{'bytes':<15} " + ", ".join(f"{k} {_mb(v)}" for k, v in s["bytes"].items()))
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from cortexlink.store import store_summaries

    print(
        f"{'site':<12} {'channels':>8} {'rate (Hz)':>10} {'seconds':>9} {'retained':>9} {'signal':>11} "
        f"{'hashes':>11} {'events':>7}  path"
    )
    for s in store_summaries(args.paths):
        b = s["bytes"]
        print(
            f"{s['site']:<12} {s['channels']:>8} {s['sample_rate']:>10g} {s['seconds']:>9.2f} "
            f"{s['retained_s']:>9.2f} {_mb(b['signal']):>11} {_mb(b['hashes']):>11} {s['events']:>7}  "
            f"{s['path']}"
        )
    return 0


def run_export(args: argparse.Namespace) -> int:
    from cortexlink.store import export_store, open_store

    session = session_options(args)
    target = export_store(args.store, args.format, args.out, args.start, args.stop, session=session)
    print(f"wrote {target}")
    if args.format == "nwb":
        report_archive_gaps(target, dict(open_store(args.store).info.get("metadata") or {}), session)
    return 0
