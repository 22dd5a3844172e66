"""``cortexlink fabric plan`` and ``cortexlink fabric sweep``: plan applications on implants."""

from __future__ import annotations

import argparse
import sys
from typing import Any

APPS = ("seizure", "movement", "sorting", "query")  # fabric.apps.APPS (kept here: --help stays light)
ARCHS = ("hull", "hull-nohash", "central", "central-nohash")


def register(subparsers: Any) -> None:
    fabric = subparsers.add_parser(
        "fabric",
        help="plan a multi-implant system: what runs where, on what power",
        description="Map applications onto implants' processing elements and "
        "radio slots with an ILP (HiGHS), under a power cap and a "
        "latency budget.",
    )
    sub = fabric.add_subparsers(dest="fabric_command", metavar="ACTION")
    p = sub.add_parser(
        "plan",
        help="solve one plan and print the schedule",
        description="Electrodes per task, each implant's PEs, clock dividers and power, the TDMA "
        "slots and the aggregate throughput.",
    )
    _common(p)
    p.add_argument("--implants", type=int, default=4, help="number of implants (default 4)")
    p.add_argument("--require", action="append", default=[], metavar="TASK=N",
                   help="at least N electrodes in total for TASK (repeatable); an impossible one says "
                        "which constraint binds")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(func=_plan)
    s = sub.add_parser(
        "sweep",
        help="throughput vs implant count (Hull Fig. 7b/8a)",
        description="Plan for 1..N implants per architecture and weight choice and print the table.",
    )
    _common(s, sweep=True)
    s.add_argument("--max-implants", type=int, default=16, help="largest implant count (default 16)")
    s.add_argument("--plot", metavar="PNG", help="also draw the curves into this PNG file")
    s.set_defaults(func=_sweep)
    fabric.set_defaults(func=lambda args: (fabric.print_help(), 2)[1])


def _common(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--app", default="seizure", help=f"{'|'.join(APPS)} or an application YAML/JSON file")
    p.add_argument(
        "--weights",
        action="append" if sweep else "store",
        default=None,
        help="priority per task, e.g. 1:1:1 (seizure: detect:hash:dtw)"
        + ("; repeat for several curves" if sweep else ""),
    )
    p.add_argument("--power-mw", type=float, default=None, help="power cap per implant (default 15)")
    p.add_argument("--latency-ms", type=float, default=None, help="latency budget (default the app's, 10)")
    p.add_argument(
        "--arch",
        default=None if sweep else "hull",
        action="append" if sweep else "store",
        choices=ARCHS,
        help="architecture (Hull Table II)" + ("; repeat for several" if sweep else ""),
    )
    p.add_argument(
        "--reduced", action="store_true", help="solve one implant and replicate (identical implants)"
    )
    p.add_argument("--catalog", default=None, help="a catalogue YAML/JSON merged over the shipped one")


def _plan(args: argparse.Namespace) -> int:
    from cortexlink.fabric.plan import plan
    from cortexlink.fabric.report import plan_lines

    minimum = {}
    for item in args.require:
        task, _, count = item.partition("=")
        if not task or not count.isdigit():
            from cortexlink.core.errors import InvalidParameterError

            raise InvalidParameterError(f"--require looks like TASK=N (e.g. detect=150), got {item!r}")
        minimum[task] = int(count)
    result = plan(
        args.app,
        args.implants,
        weights=args.weights,
        power_mw=args.power_mw,
        latency_ms=args.latency_ms,
        arch=args.arch,
        reduced=args.reduced,
        catalog=args.catalog,
        minimum=minimum,
    )
    if args.json:
        import json

        print(json.dumps(result.to_dict(), indent=1))
        return 0
    for line in plan_lines(result):
        print(line)
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from cortexlink.fabric.plan import sweep
    from cortexlink.fabric.report import sweep_lines

    if args.max_implants < 1:
        from cortexlink.core.errors import InvalidParameterError

        raise InvalidParameterError("--max-implants must be >= 1")
    rows = sweep(
        args.app,
        range(1, args.max_implants + 1),
        archs=tuple(args.arch or ("hull",)),
        weights=args.weights,
        reduced=args.reduced,
        catalog=args.catalog,
        power_mw=args.power_mw,
        latency_ms=args.latency_ms,
        plot=args.plot,
    )
    for line in sweep_lines(rows):
        print(line)
    if args.plot:
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
