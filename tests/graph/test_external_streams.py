"""Entries of streams written outside cortexlink: layouts decode without transposing channels, and
graph validation tells the graph's streams from outside ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cortexlink.core.errors import GraphError, TransportError
from cortexlink.graph.external import brand_state
from cortexlink.graph.external_streams import EntryFormat, decode_number
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.nodes import BUILTIN_NODES

TINY = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def _ramp(n_channels=3, n=5):
    return (np.arange(n_channels)[:, None] * 100 + np.arange(n)[None, :]).astype(np.int16)


@pytest.mark.parametrize("layout", ["samples_x_channels", "channels_x_samples"])
def test_entries_round_trip_in_either_layout(layout):
    fmt = EntryFormat(3, field="continuous", layout=layout)
    data = _ramp()
    flat = fmt.encode(data, counter=7, time_ns=123456789, sync={"count": 7})
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    back, counter, when = fmt.decode(fields, "s")
    assert np.array_equal(back, data) and (counter, when) == (7, 123456789)


def test_brand_samples_by_channels_are_not_transposed():
    """A BRAND node writes samples x channels: sample s of channel c is value s * n_channels + c."""
    brand_block = _ramp().T.copy()  # (samples, channels) as BRAND's nodes lay it out
    fields = {b"continuous": brand_block.tobytes(), b"i": b"3", b"ts": np.uint64(5).tobytes()}
    data, counter, when = EntryFormat(3, field="continuous").decode(fields, "s")
    assert np.array_equal(data, _ramp()) and counter == 3 and when == 5


def test_missing_field_and_wrong_channel_count_are_named():
    fmt = EntryFormat(4, field="continuous")
    with pytest.raises(TransportError, match="no field 'continuous'.*samples"):
        fmt.decode({b"samples": b"\0" * 8}, "s")
    with pytest.raises(TransportError, match="multiple of 4 channels"):
        fmt.decode({b"continuous": b"\0" * 6}, "s")
    assert decode_number(b"42") == 42 and decode_number(None) is None


def test_brand_states_are_read_from_python_and_c_nodes():
    assert brand_state({b"code": b"0", b"status": b"initialized"}) == ("initialized (code 0)", False)
    assert brand_state({b"state": b"Fatal Error: no device"})[1] is True
    assert brand_state({b"status": b"NODE_READY", b"message": b""}) is None  # cortexlink's own


def _plan(extra: str):
    text = f"""\
nodes:
  - {{name: Counter, module: {TINY}, nickname: src}}
{extra}"""
    return plan_graph(parse_graph(text, "g.yaml"), BUILTIN_NODES)


SINK = "  - {name: Tally, module: TINY, nickname: sink, inputs: {in: STREAM}}\n"


def _sink(stream: str) -> str:
    return SINK.replace("TINY", str(TINY)).replace("STREAM", stream)


def test_validation_points_outside_streams_to_redis_stream_in():
    reader = "  - {name: redis_stream_in, nickname: rin, parameters: {stream: brand_out, n_channels: 2}}\n"
    with pytest.raises(GraphError, match="no node writes it.*redis_stream_in"):
        _plan(_sink("brand_out"))
    with pytest.raises(GraphError, match="outside stream of node 'rin': read that node's output 'rin'"):
        _plan(reader + _sink("brand_out"))
    with pytest.raises(GraphError, match="'src' writes a graph stream of that name"):
        _plan("  - {name: redis_stream_out, nickname: out, inputs: {in: src}, parameters: {stream: src}}\n")
    plan = _plan(reader + _sink("rin"))
    assert plan.streams["rin"].n_channels == 2 and "brand_out" not in plan.streams
