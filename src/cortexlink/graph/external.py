"""Hosting a BRAND node: start its binary or script as BRAND's supervisor does
(``PROGRAM -n NICKNAME -i HOST -p PORT [-s SOCKET]``) and follow its ``<nickname>_state`` stream.

BRAND's Python nodes post ``{code, status}`` (code 0 fine), its C nodes ``{state: Initialized |
Ready | Shutdown | Fatal Error: ...}``. ``HostedNode`` reports those, says when the process died
or announced a fatal error, and stops it with SIGINT (how BRAND stops nodes), then SIGKILL.
The process dies with its host (``PR_SET_PDEATHSIG``), so a killed host leaves no orphan.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.resp import RespConnection, encode_command

__all__ = ["HostedNode", "brand_command", "brand_state"]

_PR_SET_PDEATHSIG = 1
STATE_SUFFIX = "_state"


def brand_command(program: str, nickname: str, url: str, extra: Sequence[str] = ()) -> list[str]:
    """The command line BRAND starts a node with; a ``.py`` file runs with this Python."""
    parts = urlparse(url)
    path = Path(program)
    if not path.is_file():
        raise InvalidParameterError(f"BRAND node program {program!r} does not exist")
    head = [sys.executable, str(path)] if path.suffix == ".py" else [str(path)]
    if parts.scheme == "unix":
        where = ["-i", "localhost", "-p", "0", "-s", parts.path]
    else:
        where = ["-i", parts.hostname or "localhost", "-p", str(parts.port or 6379)]
    return [*head, "-n", nickname, *where, *extra]


def brand_state(fields: dict[bytes, bytes]) -> tuple[str, bool] | None:
    """``(text, fatal)`` of a BRAND state entry; None for entries that are not BRAND's (cortexlink's
    own lifecycle entries carry ``status`` and ``message``)."""
    text = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items()}
    if "state" in text:
        return text["state"], text["state"].lower().startswith("fatal")
    if "code" in text:
        try:
            code = int(text["code"])
        except ValueError:
            code = -1
        return f"{text.get('status', '')} (code {text['code']})", code != 0
    return None


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class HostedNode:
    """One BRAND node process and the reading position in its state stream."""

    def __init__(self, command: list[str], nickname: str, url: str) -> None:
        self.command, self.nickname = command, nickname
        self.conn = RespConnection(url)
        self.key = f"{nickname}{STATE_SUFFIX}".encode()
        last = self.conn.call(encode_command("XREVRANGE", self.key, "+", "-", "COUNT", 1))
        self.last_id = last[0][0] if last else b"0-0"
        self.process: subprocess.Popen | None = None

    def start(self) -> int:
        before = _die_with_parent if os.name == "posix" else None
        self.process = subprocess.Popen(self.command, preexec_fn=before)
        return self.process.pid

    def exit_code(self) -> int | None:
        """None while it runs."""
        return None if self.process is None else self.process.poll()

    def new_states(self) -> list[tuple[str, bool]]:
        """BRAND states posted since the last call."""
        entries = self.conn.call(encode_command("XRANGE", self.key, b"(" + self.last_id, "+", "COUNT", 100))
        out = []
        for entry_id, flat in entries or []:
            self.last_id = entry_id
            state = brand_state(dict(zip(flat[::2], flat[1::2], strict=False)))
            if state is not None:
                out.append(state)
        return out

    def stop(self, grace: float = 3.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(2)
        self.conn.close()
