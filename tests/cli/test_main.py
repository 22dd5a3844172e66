"""The top-level ``cortexlink`` parser: version, help, unknown commands and usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cortexlink import __version__
from cortexlink.cli import build_parser

from .helpers import run


def test_version(capsys):
    code, out, err = run(["--version"], capsys)
    assert code == 0 and out == f"cortexlink {__version__}\n" and err == ""


def test_help_lists_the_file_commands(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "info" in out and "convert" in out


def test_help_describes_the_tool_for_its_users(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "brain-computer interfaces" in out and "cortexlink COMMAND --help" in out
    assert "``" not in out and "parses arguments" not in out  # no developer docstring


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run([], capsys)
    assert code == 2 and "usage: cortexlink" in out


@pytest.mark.parametrize("argv, fragment", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["info", "a.wav", "--bogus"], "unrecognized arguments: --bogus"),
    (["info", "a.wav", "--channels", "four"], "invalid int value: 'four'"),
    (["convert", "only-one.wav"], "required: OUT"),
])
def test_usage_errors_are_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cortexlink") and fragment in err, err
    assert "--help" in err


def test_every_subcommand_has_a_handler():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        assert callable(sub.get_default("func")), f"{name} has no handler"


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "cortexlink", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"cortexlink {__version__}"
