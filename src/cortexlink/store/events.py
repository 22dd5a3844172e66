"""Events: how a store records one (``event_record``), and events as they travel on a graph stream
(``uint8`` chunks), turned back into objects to store.

A recorder's ``events`` input takes chunks whose bytes are either UTF-8 JSON (one event object or
a list of them, each with ``sample`` or a time in seconds, see ``writer.event_record``) or the
seizure package's message frames (``cortexlink.seizure.messages``: seizure, propagation and
stimulation events, each with ``to_dict()``). Bytes are untrusted: anything else is a
``CorruptDataError``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError

MAX_EVENT_BYTES = 16 << 20


def encode_events(events: list[Any]) -> np.ndarray:
    """Events (dicts or objects with ``to_dict()``) as one ``(1, n)`` uint8 chunk of JSON."""
    records = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in events]
    return np.frombuffer(json.dumps(records).encode(), np.uint8).reshape(1, -1)


def decode_events(data: np.ndarray | bytes) -> list[Any]:
    """The events of one chunk (JSON, or seizure message frames); messages that are not events
    (hash broadcasts, window requests) are left out."""
    buf = data if isinstance(data, bytes) else np.asarray(data, np.uint8).tobytes()
    if len(buf) > MAX_EVENT_BYTES:
        raise CorruptDataError(f"an event chunk of {len(buf)} bytes is larger than {MAX_EVENT_BYTES}")
    head = buf.lstrip()[:1]
    if not head:
        return []
    if head in (b"[", b"{"):
        try:
            got = json.loads(buf)
        except (UnicodeDecodeError, ValueError):
            raise CorruptDataError("an event chunk holds text that is not JSON") from None
        got = got if isinstance(got, list) else [got]
        if not all(isinstance(e, dict) for e in got):
            raise CorruptDataError("an event chunk's JSON is not a list of event objects")
        return got
    try:
        from cortexlink.seizure.messages import decode_messages
    except ImportError:
        raise CorruptDataError(
            "an event chunk is neither JSON nor seizure messages this installation can read"
        ) from None
    return [m for m in decode_messages(buf) if hasattr(m, "to_dict") and getattr(m, "kind", None)]


EVENT_TIME_KEYS = ("time_s", "onset_time", "time", "detect_time")  # seconds of stream time, first found


def event_record(event: Any, sample_rate: float, sample_offset: int = 0) -> dict[str, Any]:
    """An event (dict or object with ``to_dict()``, e.g. a seizure or propagation event) as a stored
    record: ``sample`` (given, or from the first of ``EVENT_TIME_KEYS`` in seconds, plus
    ``sample_offset``), ``kind``, ``channel`` (-1: none), ``value`` (or ``score``) and the rest as
    JSON ``payload``."""
    d = dict(event.to_dict() if hasattr(event, "to_dict") else event)
    if "sample" in d:
        sample = int(d.pop("sample"))
    else:
        key = next((k for k in EVENT_TIME_KEYS if isinstance(d.get(k), int | float)), None)
        if key is None:
            raise InvalidParameterError(
                f"an event needs 'sample' or a time in seconds ({', '.join(EVENT_TIME_KEYS)}), "
                f"got keys {sorted(d)}"
            )
        sample = int(round(float(d.pop(key)) * sample_rate)) + sample_offset
    kind = str(d.pop("kind", type(event).__name__ if not isinstance(event, dict) else "event"))
    ch = d.pop("channel", None)
    channel = -1 if ch is None else int(ch)
    value = d.pop("value", d.pop("score", None))
    value = float(value) if isinstance(value, int | float) else math.nan
    payload = d.pop("payload", d)
    try:
        json.dumps(payload)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"event payload {payload!r} is not JSON-serialisable") from None
    return {"sample": sample, "kind": kind, "channel": channel, "value": value, "payload": payload}
