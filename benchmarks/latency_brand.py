"""The BRAND row of ``latency.py``: a BRAND-style Python publisher (XADD of samples x channels int16
with a uint64 monotonic-ns ``ts`` and counter ``i``, as BRAND's nodes write) read by cortexlink's
``redis_stream_in`` node (its own code, outside a graph: the node's ``generate()`` in the
subscriber process). Latency is the chunk's ``origin_ns`` (the publisher's ``ts``) to receipt."""

from __future__ import annotations

import time

import numpy as np

SYSTEM = "BRAND pub -> redis_stream_in"


def brand_pub(url, ch, n, go, out):
    import redis
    from latency import CHUNK, _pace

    r = redis.Redis.from_url(url)
    data = np.zeros((CHUNK, ch), np.int16)  # samples x channels, BRAND's layout

    def send(i: int) -> None:
        r.xadd("bench", {"samples": data.tobytes(), "ts": np.uint64(time.monotonic_ns()).tobytes(),
                         "i": np.uint64(i).tobytes()}, maxlen=256, approximate=True)

    go.wait()
    out.put(("pub", _pace(n, send)))


def stream_in_sub(url, ch, n, ready, out):
    from latency import CHUNK, FIRST_WAIT_S, NEXT_WAIT_S, RATE, _collect

    from cortexlink.graph.node import NodeContext
    from cortexlink.nodes.redis_streams import RedisStreamIn

    settings = RedisStreamIn.make_settings({"stream": "bench", "field": "samples", "n_channels": ch,
                                            "sample_rate": float(RATE), "chunk_samples": CHUNK})
    specs = RedisStreamIn.describe_outputs(settings, {})
    node = RedisStreamIn(settings, NodeContext("bench_in", {}, specs,
                                               transport_address={"kind": "redis", "url": url}))
    node.setup()
    chunks = node.generate()
    ready.put(1)

    def recv():
        deadline = time.monotonic() + (FIRST_WAIT_S if node.samples == 0 else NEXT_WAIT_S)
        while time.monotonic() < deadline:
            got = next(chunks)
            if got:
                return got["out"].origin_ns
        return None

    lat, cpu = _collect(n, recv)
    out.put(("sub", lat, cpu, node.lost))
