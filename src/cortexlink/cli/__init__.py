"""The ``cortexlink`` command: parses arguments, calls the library, prints.

Each module in ``COMMAND_MODULES`` adds its subcommands through ``register(subparsers)`` and
sets ``func`` on them; heavy imports happen inside the handlers so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cortexlink.core.errors import CortexlinkError

COMMAND_MODULES = [
    "cortexlink.cli.files",      # info, convert
    "cortexlink.cli.simulate",   # simulate
    "cortexlink.cli.codec",      # compress, decompress, codec-eval
    "cortexlink.cli.decoders",   # decoder-train, decoder-eval, decoder-apply
    "cortexlink.cli.runtime",    # run, agent, nodes, graph
    "cortexlink.cli.similarity",  # similar
    "cortexlink.cli.brand",      # brand-supervisor
    "cortexlink.cli.fabric",     # fabric plan, fabric sweep
    "cortexlink.cli.serve",      # serve, token, audit
    "cortexlink.cli.eeg",        # eeg-eval, devices
    "cortexlink.cli.seizure",    # seizure-train, seizure-eval, seizure-detect
    "cortexlink.cli.store",      # store info|ls|export
    "cortexlink.cli.query",      # query
    "cortexlink.cli.sort",       # sort, sort-eval
]


DESCRIPTION = ("cortexlink, an open platform for brain-computer interfaces: inspect, convert and simulate "
               "neural recordings, compress them losslessly, train and evaluate movement decoders, and "
               "run real-time processing graphs.")
EPILOG = "Run 'cortexlink COMMAND --help' for what a command does and its options."


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from cortexlink import __version__

    parser = _OneLineParser(prog="cortexlink", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"cortexlink {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CortexlinkError as exc:
        print(f"cortexlink: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"cortexlink: error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cortexlink: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
