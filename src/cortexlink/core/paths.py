"""Path checks and error wording shared by every reader and writer (recordings, models, outputs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cortexlink.core.errors import CortexlinkError, RecordingNotFoundError


def one_line(text: object) -> str:
    """``text`` with all whitespace runs (newlines included) collapsed, for one-line messages."""
    return re.sub(r"\s+", " ", str(text)).strip()


def existing_file(path: str | Path) -> Path:
    """``path`` as a Path, or ``RecordingNotFoundError`` if it is not an existing file."""
    return _existing(path, folder=False)


def existing_folder(path: str | Path) -> Path:
    """``path`` as a Path, or ``RecordingNotFoundError`` if it is not an existing folder."""
    return _existing(path, folder=True)


def _existing(path: str | Path, folder: bool) -> Path:
    p = Path(path)
    kind, other, wanted = (("folder", "file", "a folder") if folder
                           else ("file", "directory", "one recording file"))
    if p.is_file() if folder else p.is_dir():
        raise RecordingNotFoundError(f"{p} is a {other}; give the path of {wanted}")
    if not (p.is_dir() if folder else p.is_file()):
        raise RecordingNotFoundError(f"no such {kind}: {p}; check the path")
    return p


def writable_target(path: str | Path) -> Path:
    """``path`` as a Path whose folder exists, or a ``CortexlinkError`` saying what to create."""
    p = Path(path)
    if p.is_dir():
        raise CortexlinkError(f"{p} is a directory; give the name of a file to write")
    if not p.parent.is_dir():
        raise CortexlinkError(f"cannot write {p}: folder {p.parent} does not exist; create it first")
    return p


def writable_folder(path: str | Path) -> Path:
    """``path`` as a Path to an existing folder or one that can be created in an existing folder."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CortexlinkError(f"{p} is a file; give a folder to write into")
    if not p.exists() and not p.parent.is_dir():
        raise CortexlinkError(f"cannot write into {p}: folder {p.parent} does not exist; create it first")
    return p


def write_failed(path: Path, exc: OSError) -> CortexlinkError:
    """The error to raise when the operating system refuses a write."""
    reason = one_line(exc.strerror or exc)
    return CortexlinkError(f"cannot write {path}: {reason}; check permissions and free disk space")


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """A block that writes ``path``: an ``OSError`` inside it (disk full, permission refused)
    becomes the one-line ``write_failed`` error."""
    try:
        yield path
    except OSError as exc:
        raise write_failed(path, exc) from None
