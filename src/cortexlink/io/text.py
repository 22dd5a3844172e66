"""Recordings stored as whitespace-separated numbers in a text file.

Three layouts are told apart by how many numbers each line holds:

- ``column``: one number a line, a single channel (the Bonn EEG files);
- ``columns``: the same count ``k > 1`` on every line: ``k`` channels, one row per sample;
- ``wrapped``: ``k`` numbers on every line but a shorter last one: a single channel written
  ``k`` values to a line, read in order (the 8-channel Ombao/Wang files, one channel per file).

Text holds no sample rate. The Bonn layout (exactly 4097 integers, one a line) is recognised and
read at its documented 173.61 Hz; anything else needs ``sample_rate`` from the caller.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError
from cortexlink.core.paths import existing_file, one_line
from cortexlink.core.recording import Recording

BONN_SAMPLES = 4097
BONN_RATE = 173.61
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(b" \t\r\n\v\f")] = True
_INTEGER_TEXT = re.compile(rb"[\s0-9+\-]*")


def load_text(path: str | Path, sample_rate: float | None = None, gain_uv: float = 1.0) -> Recording:
    """Read a text recording; integers become int16 counts of ``gain_uv``, other numbers float32."""
    p = existing_file(path)
    raw = p.read_bytes()
    counts = tokens_per_line(raw)
    layout, n_channels = _layout(counts, p)
    try:
        values = np.array(raw.split(), dtype=np.float64)
    except ValueError as exc:
        raise CorruptDataError(
            f"{p}: {one_line(exc)}; a text recording must hold only whitespace-separated numbers"
        ) from None
    integers = _INTEGER_TEXT.fullmatch(raw) is not None and _fits_int16(values)
    metadata: dict = {"format": "text", "layout": layout}
    if sample_rate is None:
        if layout == "column" and values.size == BONN_SAMPLES and integers:
            sample_rate = BONN_RATE
            metadata["sample_rate_source"] = "Bonn EEG layout (4097 integers, one a line): 173.61 Hz"
        else:
            raise InvalidParameterError(
                f"{p}: text files carry no sample rate and this one ({layout} layout, {values.size} values) "
                "is not the Bonn layout (4097 integers, one a line, 173.61 Hz); give the rate "
                "(sample_rate=..., or --sample-rate HZ)"
            )
    if layout == "columns":
        data = values.reshape(-1, n_channels).T
    else:
        data = values[None, :]
        metadata["channel_names"] = [p.stem]
    data = data.astype(np.int16 if integers else np.float32)
    return Recording(data, sample_rate, gain_uv=gain_uv, metadata=metadata)


def tokens_per_line(raw: bytes) -> np.ndarray:
    """How many whitespace-separated tokens each non-empty line of ``raw`` holds (vectorised)."""
    b = np.frombuffer(raw, dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, dtype=np.int64)
    space = _IS_SPACE[b]
    starts = ~space
    starts[1:] &= space[:-1]
    line = np.cumsum(b == ord("\n")) - (b == ord("\n"))
    per_line = np.bincount(line[starts], minlength=int(line[-1]) + 1)
    return per_line[per_line > 0]


def _layout(counts: np.ndarray, path: Path) -> tuple[str, int]:
    if counts.size == 0:
        raise CorruptDataError(f"{path} holds no numbers; it is empty or not a text recording")
    width = int(counts[0])
    body_even = bool(np.all(counts[:-1] == width))
    if body_even and counts[-1] == width:
        return ("column", 1) if width == 1 else ("columns", width)
    if body_even and counts[-1] < width:
        return "wrapped", 1
    bad = int(np.flatnonzero(counts != width)[0])
    raise CorruptDataError(
        f"{path}: non-empty line {bad + 1} holds {counts[bad]} numbers but the first holds {width}; "
        "a text recording needs the same count on every line (or a shorter last line)"
    )


def _fits_int16(values: np.ndarray) -> bool:
    return values.size > 0 and bool(values.min() >= -32768) and bool(values.max() <= 32767)
