"""The PM QoS CPU latency request held while a graph runs."""

from __future__ import annotations

import struct

from cortexlink.graph.pm_qos import CpuLatencyRequest


def test_request_writes_the_bound_and_is_withdrawn_on_close(tmp_path):
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    with CpuLatencyRequest(7, device=str(device)) as qos:
        assert qos.active
        assert struct.unpack("<i", device.read_bytes()) == (7,)
        assert "held at 7 us" in qos.describe()
        assert qos.hold() is qos  # holding twice keeps the one request
    assert not qos.active and qos._fd is None


def test_a_device_that_cannot_be_opened_is_reported_not_raised(tmp_path):
    missing = tmp_path / "nope"
    qos = CpuLatencyRequest(0, device=str(missing)).hold()
    assert not qos.active
    assert str(missing) in qos.reason
    assert "not held" in qos.describe() and "root" in qos.describe()
    qos.close()  # closing what was never held is fine
