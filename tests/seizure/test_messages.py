"""Protocol messages as bytes: every kind round-trips; damaged or foreign bytes are a clear error."""

import numpy as np
import pytest

from cortexlink.core.errors import CorruptDataError
from cortexlink.seizure.messages import decode_messages, encode_messages
from cortexlink.seizure.onset import SeizureEvent
from cortexlink.seizure.propagation import (
    CollisionReply,
    HashMessage,
    PropagationEvent,
    StimulationCommand,
    WindowsMessage,
)


def _all_kinds():
    wins = np.arange(-60, 60, dtype=np.int8).reshape(2, 60)
    return [SeizureEvent("site0", [1, 3], 4.0, 5.5, 0.9, detected_ns=123),
            HashMessage("site0", 5.5, 4.0, 3, b"\x00\x01codes", 77),
            CollisionReply("site0", "site2", 5.5, [0, 2], 1250, 99),
            WindowsMessage("site0", "site2", 4.0, wins, 1250, 99),
            PropagationEvent("site0", "site2", 2.1, 0.31, 8.0, 99, 140),
            StimulationCommand("site2", 8.0, "site0", 99, 150)]


def test_every_message_kind_round_trips_in_one_batch():
    msgs = _all_kinds()
    data = encode_messages(msgs)
    assert data.dtype == np.uint8 and data.shape[0] == 1
    back = decode_messages(data)
    assert [type(m) for m in back] == [type(m) for m in msgs]
    for a, b in zip(msgs, back, strict=True):
        if isinstance(a, WindowsMessage):
            np.testing.assert_array_equal(a.windows, b.windows)
            assert (a.source, a.target, a.target_start, a.evidence_ns) == \
                   (b.source, b.target, b.target_start, b.evidence_ns)
        else:
            assert a == b
    assert decode_messages(encode_messages([])) == []


def test_damaged_or_foreign_bytes_are_corrupt_data():
    data = bytes(encode_messages(_all_kinds()).ravel())
    for bad in (data[:-3], b"\x09" + data[1:], data[:9] + b"{not json" + data[18:], b"\x00" * 5):
        with pytest.raises(CorruptDataError):
            decode_messages(bad)
    # a header with a field the message does not have
    forged = bytes(encode_messages([PropagationEvent("a", "b", 1.0, 0.2, 3.0)]).ravel()).replace(
        b'"lag"', b'"lug"')
    with pytest.raises(CorruptDataError, match="fields"):
        decode_messages(forged)
    with pytest.raises(TypeError):
        encode_messages([object()])
