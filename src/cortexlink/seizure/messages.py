"""The seizure protocol's messages as bytes, for a transport that carries arrays (the graph's streams).

A batch of messages (``SeizureEvent``, ``HashMessage``, ``CollisionReply``, ``WindowsMessage``,
``PropagationEvent``, ``StimulationCommand``) becomes one ``uint8`` array: per message a frame
``type (u1) | header length (u4) | blob length (u4) | JSON header | blob``, little-endian. The
header holds the dataclass's plain fields, the blob its binary one (a broadcast's compressed
codes, the int8 samples of requested windows). Decoding treats the bytes as untrusted: lengths
are checked against the buffer, fields against the dataclass, and anything else is a
``CorruptDataError``. No pickle.
"""

from __future__ import annotations

import json
import struct
from dataclasses import fields

import numpy as np

from cortexlink.core.errors import CorruptDataError
from cortexlink.seizure.onset import SeizureEvent
from cortexlink.seizure.propagation import (
    CollisionReply,
    HashMessage,
    PropagationEvent,
    StimulationCommand,
    WindowsMessage,
)

__all__ = ["MESSAGE_TYPES", "decode_messages", "encode_messages"]

MESSAGE_TYPES: tuple[type, ...] = (SeizureEvent, HashMessage, CollisionReply, WindowsMessage,
                                   PropagationEvent, StimulationCommand)
_BLOB = {HashMessage: "codes", WindowsMessage: "windows"}
_FRAME = struct.Struct("<BII")
MAX_WINDOW = 1 << 20  # samples in one window of a WindowsMessage


def encode_messages(messages: list) -> np.ndarray:
    """``messages`` as one ``uint8`` array (see the module docstring)."""
    parts = []
    for msg in messages:
        cls = type(msg)
        if cls not in MESSAGE_TYPES:
            raise TypeError(f"{cls.__name__} is not a seizure protocol message")
        blob_field = _BLOB.get(cls)
        header = {f.name: getattr(msg, f.name) for f in fields(msg) if f.init and f.name != blob_field}
        blob = b""
        if blob_field == "codes":
            blob = bytes(msg.codes)
        elif blob_field == "windows":
            win = np.ascontiguousarray(msg.windows, dtype=np.int8)
            header["shape"] = list(win.shape)
            blob = win.tobytes()
        text = json.dumps(header, separators=(",", ":")).encode()
        parts += [_FRAME.pack(MESSAGE_TYPES.index(cls), len(text), len(blob)), text, blob]
    return np.frombuffer(b"".join(parts), dtype=np.uint8).reshape(1, -1)


def decode_messages(data: np.ndarray | bytes) -> list:
    """The messages of one ``encode_messages`` array; damaged or foreign bytes: ``CorruptDataError``."""
    buf = bytes(np.asarray(data, dtype=np.uint8).ravel()) if not isinstance(data, bytes) else data
    out, pos = [], 0
    while pos < len(buf):
        if pos + _FRAME.size > len(buf):
            raise CorruptDataError(f"seizure message cut short at byte {pos} of {len(buf)}")
        kind, n_head, n_blob = _FRAME.unpack_from(buf, pos)
        pos += _FRAME.size
        if kind >= len(MESSAGE_TYPES) or pos + n_head + n_blob > len(buf):
            raise CorruptDataError(f"seizure message of unknown type {kind} or with lengths past the end")
        cls = MESSAGE_TYPES[kind]
        try:
            header = json.loads(buf[pos:pos + n_head])
        except (UnicodeDecodeError, ValueError):
            raise CorruptDataError(f"seizure {cls.__name__} has an unreadable header") from None
        blob = buf[pos + n_head:pos + n_head + n_blob]
        pos += n_head + n_blob
        out.append(_build(cls, header, blob))
    return out


def _build(cls: type, header: object, blob: bytes):
    if not isinstance(header, dict):
        raise CorruptDataError(f"seizure {cls.__name__} header is not a mapping")
    blob_field = _BLOB.get(cls)
    if blob_field == "codes":
        header["codes"] = blob
    elif blob_field == "windows":
        shape = header.pop("shape", None)
        if not (isinstance(shape, list) and len(shape) == 2
                and all(isinstance(n, int) and n >= 0 for n in shape) and shape[1] <= MAX_WINDOW
                and shape[0] * shape[1] == len(blob)):
            raise CorruptDataError(f"seizure WindowsMessage declares windows {shape} for {len(blob)} bytes")
        header["windows"] = np.frombuffer(blob, dtype=np.int8).reshape(shape).copy()
    want = {f.name for f in fields(cls) if f.init}
    if set(header) != want:
        raise CorruptDataError(f"seizure {cls.__name__} has fields {sorted(header)}, expected {sorted(want)}")
    try:
        return cls(**header)
    except TypeError as exc:
        raise CorruptDataError(f"seizure {cls.__name__}: {exc}") from None
