"""Redis streams written or read by programs other than cortexlink (BRAND nodes, lab scripts).

A BRAND node picks its own fields per stream: e.g. ``continuous`` (int16 samples, samples x
channels), ``ts`` (uint64 ``time.monotonic_ns()``), ``i`` (a counter), ``sync`` (JSON).
``EntryFormat`` says which field holds what, decodes an entry into a ``(channels, samples)``
array (never transposing channels: the layout is stated, not guessed) and encodes one the same
way. ``EntryReader`` waits for entries with XREAD BLOCK; ``EntryWriter`` XADDs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cortexlink.core.errors import InvalidParameterError, TransportError
from cortexlink.graph.resp import MAX_BLOCK_MS, RespConnection, encode_command

__all__ = ["EntryFormat", "EntryReader", "EntryWriter", "LAYOUTS", "decode_number"]

LAYOUTS = ("samples_x_channels", "channels_x_samples")
Layout = Literal["samples_x_channels", "channels_x_samples"]


def decode_number(value: bytes | None) -> int | None:
    """A counter or time field: 8 bytes are a little-endian uint64 (BRAND's ``np.uint64(...).tobytes()``),
    anything else decimal text; None when absent or unreadable."""
    if value is None:
        return None
    if len(value) == 8 and not value.isdigit():
        return int(np.frombuffer(value, "<u8")[0])
    try:
        return int(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class EntryFormat:
    """Where an entry keeps its samples, counter and time, and how the samples are laid out."""

    n_channels: int
    field: str = "samples"
    dtype: str = "int16"
    layout: Layout = "samples_x_channels"
    counter_field: str = "i"
    time_field: str = "ts"
    sync_field: str = "sync"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise InvalidParameterError(f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        if self.n_channels <= 0:
            raise InvalidParameterError(f"n_channels must be positive, got {self.n_channels}")
        np.dtype(self.dtype)

    def decode(self, fields: dict[bytes, bytes], stream: str) -> tuple[np.ndarray, int | None, int | None]:
        """``(samples as (channels, n), counter, time_ns)`` of one entry."""
        raw = fields.get(self.field.encode())
        if raw is None:
            names = ", ".join(k.decode(errors="replace") for k in fields)
            raise TransportError(f"stream {stream!r}: an entry has no field {self.field!r} (it has: "
                                 f"{names}); set the node's 'field' parameter to the one holding the samples")
        flat = np.frombuffer(raw, dtype=self.dtype)
        if flat.size % self.n_channels:
            raise TransportError(f"stream {stream!r}: field {self.field!r} holds {flat.size} values, not a "
                                 f"multiple of {self.n_channels} channels; check n_channels and dtype")
        n = flat.size // self.n_channels
        data = flat.reshape(n, self.n_channels).T if self.layout == "samples_x_channels" \
            else flat.reshape(self.n_channels, n)
        counter = decode_number(fields.get(self.counter_field.encode())) if self.counter_field else None
        when = decode_number(fields.get(self.time_field.encode())) if self.time_field else None
        return np.ascontiguousarray(data), counter, when

    def encode(self, data: np.ndarray, counter: int, time_ns: int, sync: dict[str, Any]) -> list[bytes]:
        """The field/value pairs of one entry for ``data`` (channels, n)."""
        laid = data.T if self.layout == "samples_x_channels" else data
        out = [self.field.encode(), np.ascontiguousarray(laid, dtype=self.dtype).tobytes()]
        if self.time_field:
            out += [self.time_field.encode(), np.uint64(time_ns).tobytes()]
        if self.counter_field:
            out += [self.counter_field.encode(), np.uint64(counter).tobytes()]
        if self.sync_field:
            out += [self.sync_field.encode(), json.dumps(sync).encode()]
        return out

    def describe(self, sample_rate: float) -> dict[str, Any]:
        """The stream's description for ``<stream>_spec`` (what any client needs to decode it)."""
        fields = {self.field: "samples", self.time_field: "uint64 time.monotonic_ns(), 8 bytes little endian",
                  self.counter_field: "uint64 entry counter, 8 bytes little endian",
                  self.sync_field: "JSON: counter, start_sample, origin_ns"}
        return {"n_channels": self.n_channels, "dtype": np.dtype(self.dtype).str, "sample_rate": sample_rate,
                "layout": self.layout.replace("_x_", " x "), "fields": {k: v for k, v in fields.items() if k}}


class EntryReader:
    """Reads a stream's new entries with XREAD BLOCK on its own connection."""

    def __init__(self, url: str, stream: str, from_start: bool = False) -> None:
        self.conn = RespConnection(url)
        self.key = stream.encode()
        self.last_id = b"0-0"
        if not from_start:
            last = self.conn.call(encode_command("XREVRANGE", self.key, "+", "-", "COUNT", 1))
            if last:
                self.last_id = last[0][0]

    def read(self, timeout: float) -> list[dict[bytes, bytes]]:
        """The entries written since the last call, waiting up to ``timeout`` s for the first."""
        block = max(1, min(int(timeout * 1000), MAX_BLOCK_MS))
        reply = self.conn.call(encode_command("XREAD", "COUNT", 256, "BLOCK", block, "STREAMS", self.key,
                                              self.last_id))
        out = []
        for _key, entries in reply or []:
            for entry_id, flat in entries:
                self.last_id = entry_id
                out.append(dict(zip(flat[::2], flat[1::2], strict=False)))
        return out

    def close(self) -> None:
        self.conn.close()


class EntryWriter:
    """XADDs entries to a stream trimmed to about ``maxlen`` entries."""

    def __init__(self, url: str, stream: str, maxlen: int = 10_000) -> None:
        self.conn = RespConnection(url)
        self.key, self.maxlen = stream.encode(), maxlen

    def add(self, fields: list[bytes]) -> None:
        self.conn.call(encode_command("XADD", self.key, "MAXLEN", "~", self.maxlen, "*", *fields))

    def describe(self, description: dict[str, Any]) -> None:
        self.conn.call(encode_command("SET", self.key + b"_spec", json.dumps(description)))

    def close(self) -> None:
        self.conn.close()
