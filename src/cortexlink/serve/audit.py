"""An append-only, hash-chained audit log (JSON lines) and its verification.

Each entry is one JSON line: ``seq``, ``time`` (UTC, ISO 8601), ``token`` (the token's id, never
the token), ``method``, ``endpoint``, ``params`` (SHA-256 of the query and body, so parameters
can be matched without being stored), ``status``, ``result``, ``prev`` (the previous entry's
hash) and ``hash`` (SHA-256 of ``prev`` and the entry's canonical JSON without ``hash``). Editing a
line breaks its hash; deleting or reordering lines breaks ``seq`` and ``prev``; cutting lines off
the end is caught by the head file beside the log (``<log>.head``: the last ``seq`` and ``hash``).
``verify_audit(path)`` checks all of it (``cortexlink audit verify``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cortexlink.core.errors import CorruptDataError, InvalidParameterError
from cortexlink.core.paths import writing

__all__ = ["AuditLog", "AuditCheck", "verify_audit", "params_digest"]

GENESIS = "0" * 64
MAX_LINE = 1 << 16
HEAD_BYTES = 128


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(entry.get("prev", "").encode() + _canonical(body)).hexdigest()


def params_digest(*parts: bytes) -> str:
    """SHA-256 over the parts (query string, body), each length-prefixed."""
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def _head_path(path: Path) -> Path:
    return path.with_name(path.name + ".head")


class AuditLog:
    """Appends chained entries to ``path`` (thread-safe); resumes the chain of an existing log.

    Each entry is written to the operating system before ``append`` returns (a crash of the
    server loses none); ``fsync=True`` also forces it to the disk (a power cut loses none), at the
    cost of a disk flush per request (about 10 ms on a shared virtual disk).
    """

    def __init__(self, path: str | Path, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._fd: int | None = None
        self._head: int | None = None
        self._lock = threading.Lock()
        self.seq, self.last = 0, GENESIS
        if self.path.exists() and self.path.stat().st_size:
            check = verify_audit(self.path)
            if not check.ok:
                raise CorruptDataError(
                    f"the audit log {self.path} does not verify ({check.problem}); "
                    "keep it as evidence and start a new log file"
                )
            self.seq, self.last = check.entries, check.last_hash

    def append(self, **fields: Any) -> dict[str, Any]:
        """Write one entry (``time``, ``seq``, ``prev`` and ``hash`` are filled in) and return it."""
        with self._lock:
            entry = {
                "seq": self.seq + 1,
                "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                **fields,
                "prev": self.last,
            }
            entry["hash"] = _entry_hash(entry)
            with writing(self.path):
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                    self._head = os.open(_head_path(self.path), os.O_WRONLY | os.O_CREAT, 0o600)
                os.write(self._fd, _canonical(entry) + b"\n")
                # the head is one fixed-width line rewritten in place: the last seq and hash
                os.pwrite(
                    self._head,
                    json.dumps({"seq": entry["seq"], "hash": entry["hash"]}).encode().ljust(HEAD_BYTES - 1)
                    + b"\n",
                    0,
                )
                if self.fsync:
                    os.fsync(self._fd)
                    os.fsync(self._head)
            self.seq, self.last = entry["seq"], entry["hash"]
            return entry

    def close(self) -> None:
        with self._lock:
            for fd in (self._fd, self._head):
                if fd is not None:
                    os.close(fd)
            self._fd = self._head = None


@dataclass
class AuditCheck:
    """What ``verify_audit`` found: ``ok``, how many entries, and the first problem (line number)."""

    path: str
    entries: int = 0
    last_hash: str = GENESIS
    problem: str = ""
    line: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_audit(path: str | Path) -> AuditCheck:
    """Check every entry's hash, the chain of ``prev``, the sequence numbers and the head file."""
    target = Path(path)
    check = AuditCheck(str(target))
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise InvalidParameterError(f"cannot read the audit log {target}: {exc.strerror}") from None
    prev, seq = GENESIS, 0
    for i, line in enumerate(raw.splitlines(), 1):
        check.line = i
        if len(line) > MAX_LINE:
            check.problem = f"line {i} is longer than an audit entry can be"
            return check
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError
        except ValueError:
            check.problem = f"line {i} is not a JSON object"
            return check
        if entry.get("seq") != seq + 1:
            check.problem = f"line {i}: seq {entry.get('seq')} follows {seq} (a line was deleted or moved)"
            return check
        if entry.get("prev") != prev:
            check.problem = f"line {i}: prev does not match the hash of the line before (deleted or moved)"
            return check
        if entry.get("hash") != _entry_hash(entry):
            check.problem = f"line {i}: its hash does not match its content (the line was edited)"
            return check
        prev, seq = entry["hash"], entry["seq"]
    check.entries, check.last_hash, check.line = seq, prev, 0
    head = _head_path(target)
    if head.exists():
        try:
            mark = json.loads(head.read_text().strip() or "{}")
        except (OSError, ValueError):
            check.problem = f"the head file {head.name} is unreadable"
            return check
        if mark.get("seq") != seq or mark.get("hash") != prev:
            check.problem = (
                f"the log ends at entry {seq} but its head file says {mark.get('seq')} "
                "(lines were cut off the end, or the head was changed)"
            )
    else:
        check.notes.append(f"no head file {head.name}: lines cut off the end would not be detected")
    return check
