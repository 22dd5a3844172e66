"""Run the ``cortexlink`` command in-process and capture what it printed."""

from __future__ import annotations

from cortexlink.cli import main


def run(argv: list, capsys) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the command line (argparse exits are caught)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
