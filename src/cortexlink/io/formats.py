"""Pick the reader or writer for a path: ``open_recording`` and ``save_recording``.

The format comes from the caller, else the extension, else the file's first bytes. Options a
format does not take are refused by name rather than ignored.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cortexlink.core.errors import (
    CortexlinkError,
    InvalidDataError,
    InvalidParameterError,
    UnsupportedFormatError,
)
from cortexlink.core.paths import existing_file, one_line
from cortexlink.core.recording import Recording
from cortexlink.io.edf import BDF_MAGIC, load_edf
from cortexlink.io.npz import load_npz, save_npz
from cortexlink.io.nwb import load_nwb, save_nwb
from cortexlink.io.raw import load_raw, raw_reading_options, save_raw
from cortexlink.io.text import load_text
from cortexlink.io.wav import load_wav, save_wav

READERS: dict[str, Callable[..., Recording]] = {
    "wav": load_wav, "npz": load_npz, "nwb": load_nwb, "edf": load_edf, "raw": load_raw, "text": load_text,
}
WRITERS: dict[str, Callable[..., None]] = {"wav": save_wav, "npz": save_npz, "nwb": save_nwb, "raw": save_raw}
EXTENSIONS = {
    ".wav": "wav", ".npz": "npz", ".nwb": "nwb", ".edf": "edf", ".bdf": "edf",
    ".bin": "raw", ".raw": "raw", ".dat": "raw", ".txt": "text", ".asc": "text",
}
_MAGIC = ((b"RIFF", "wav"), (b"PK\x03\x04", "npz"), (b"\x89HDF\r\n\x1a\n", "nwb"),
          (b"0       ", "edf"), (BDF_MAGIC, "edf"))


def _extensions_of(formats: dict) -> str:
    return ", ".join(ext for ext, fmt in EXTENSIONS.items() if fmt in formats)


def format_of(path: str | Path, format: str | None = None, sniff: bool = True) -> str:
    """The format name for ``path``: ``format`` if given, else by extension, else by magic bytes."""
    if format is not None:
        name = format.lower().lstrip(".")
        name = EXTENSIONS.get("." + name, name)
        if name not in READERS:
            raise UnsupportedFormatError(f"unknown format {format!r}; use one of {', '.join(READERS)}")
        return name
    p = Path(path)
    if p.suffix.lower() in EXTENSIONS:
        return EXTENSIONS[p.suffix.lower()]
    if sniff and p.is_file():
        with open(p, "rb") as fh:
            head = fh.read(12)
        for magic, name in _MAGIC:
            if head.startswith(magic) and (name != "wav" or head[8:12] == b"WAVE"):
                return name
    raise UnsupportedFormatError(
        f"cannot tell the format of {p} from its extension {p.suffix or '(none)'!r}; "
        f"supported: {_extensions_of(READERS)}"
    )


def open_recording(path: str | Path, format: str | None = None, **options: Any) -> Recording:
    """Read any supported recording file.

    ``options`` go to the format's reader (``sample_rate``, ``dtype``, ``n_channels``, ``gain_uv``
    for raw and text, ``series_name`` for NWB, ...); ``None`` values are dropped.
    """
    p = existing_file(path)
    name = format_of(p, format)
    reader = READERS[name]
    kwargs = _accepted(reader, name, options, positional=1)
    try:
        return reader(p, **kwargs)
    except InvalidDataError as exc:
        if str(p) in str(exc):
            raise
        raise InvalidDataError(f"{p}: {exc}") from None
    except OSError as exc:
        if isinstance(exc, CortexlinkError):
            raise
        reason = one_line(exc.strerror or exc)
        raise CortexlinkError(f"cannot read {p}: {reason}; check that it is readable") from None


def save_recording(recording: Recording, path: str | Path, format: str | None = None, **options: Any) -> str:
    """Write ``recording`` in the format its extension (or ``format``) names; returns the format."""
    if not isinstance(recording, Recording):
        raise InvalidParameterError(f"save_recording needs a Recording, got {type(recording).__name__}")
    try:
        name = format_of(path, format, sniff=False)
    except UnsupportedFormatError:
        raise UnsupportedFormatError(
            f"cannot tell which format to write {path} in from its extension; "
            f"use one of {_extensions_of(WRITERS)}"
        ) from None
    if name not in WRITERS:
        raise UnsupportedFormatError(
            f"cortexlink reads {name} files but does not write them; write one of {_extensions_of(WRITERS)}"
        )
    writer = WRITERS[name]
    writer(recording, path, **_accepted(writer, name, options, positional=2))
    return name


def readback_options(recording: Recording, format: str) -> str:
    """Command-line options needed to read back exactly what was written (``""`` if none)."""
    if format == "raw":
        return raw_reading_options(recording)
    return ""  # the other formats store the gain (WAV in its gain chunk)


def _accepted(function: Callable, name: str, options: dict[str, Any], positional: int) -> dict[str, Any]:
    """The non-None ``options``, after checking that ``function`` takes each (past its positionals)."""
    given = {key: value for key, value in options.items() if value is not None}
    params = list(inspect.signature(function).parameters)[positional:]
    unknown = sorted(set(given) - set(params))
    if unknown:
        takes = ", ".join(params) if params else "no options"
        raise InvalidParameterError(
            f"{', '.join(unknown)} does not apply to {name} files (they take: {takes})"
        )
    return given


