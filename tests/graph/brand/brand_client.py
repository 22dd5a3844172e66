#!/usr/bin/env python
"""A BRAND-style node for the interop tests, written from BRAND's conventions alone (no cortexlink):

- started as ``brand_client.py -n NICKNAME -i HOST -p PORT [-s SOCKET]``;
- its parameters are ``nodes[NICKNAME]["parameters"]`` of the newest ``supergraph_stream`` entry
  (field ``data``, JSON), which must hold ``log`` as BRAND's Python nodes require;
- posts ``{code, status}`` to ``NICKNAME_state``;
- reads the graph stream ``in_stream`` using only what Redis holds (``<stream>_spec`` or the
  supergraph's ``streams``), and counts in hash ``NICKNAME_check`` the chunks whose channel c
  holds ``c * 100 + sample % 100`` (``ok``) or not (``bad``);
- writes ``out_stream`` entries like a BRAND simulator: ``continuous`` int16 samples x channels
  (channel c holds ``c * 100 + sample % 100``), ``ts`` uint64 monotonic ns, ``i`` uint64 counter
  and ``sync`` JSON; stops cleanly on SIGINT.
"""

import argparse
import json
import signal
import struct
import time

import numpy as np
import redis

parser = argparse.ArgumentParser()
parser.add_argument("-n", "--nickname", required=True)
parser.add_argument("-i", "--redis_host", required=True)
parser.add_argument("-p", "--redis_port", type=int, required=True)
parser.add_argument("-s", "--redis_socket")
args = parser.parse_args()
NICK = args.nickname
r = (redis.Redis(unix_socket_path=args.redis_socket) if args.redis_socket
     else redis.Redis(host=args.redis_host, port=args.redis_port))

newest = r.xrevrange("supergraph_stream", "+", "-", count=1)[0][1]
supergraph = json.loads(newest[b"data"])
params = supergraph["nodes"][NICK]["parameters"]
assert params["log"] in ("DEBUG", "INFO", "WARNING", "ERROR"), params
r.xadd(f"{NICK}_state", {"code": 0, "status": "initialized"})

running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

in_stream, out_stream = params["in_stream"], params["out_stream"]
spec = json.loads(r.get(f"{in_stream}_spec") or json.dumps(supergraph["streams"][in_stream]))
header = struct.Struct(spec["header_format"])
start_index = spec["header_fields"].index("start_sample")
n_in = spec["n_channels"]
dtype = np.dtype(spec["dtype"])
n_out = int(params["n_channels"])
per_entry = int(params.get("samples_per_entry", 10))
period = per_entry / float(params.get("rate", 1000.0))

last_id = r.xrevrange(in_stream, "+", "-", count=1)
last_id = last_id[0][0] if last_id else b"0-0"
r.xadd(f"{NICK}_state", {"code": 0, "status": "running"})
counter, sample, next_write = 0, 0, time.monotonic()
while running:
    wait_ms = max(1, int((next_write - time.monotonic()) * 1000))
    reply = r.xread({in_stream: last_id}, count=100, block=wait_ms)
    for _key, entries in reply or []:
        for entry_id, fields in entries:
            last_id = entry_id
            if b"d" not in fields:
                continue
            head = header.unpack(fields[b"h"])
            data = np.frombuffer(fields[b"d"], dtype).reshape(n_in, -1)  # channels x samples, C order
            t = head[start_index] + np.arange(data.shape[1])
            expected = np.arange(n_in)[:, None] * 100 + t[None, :] % 100
            r.hincrby(f"{NICK}_check", "ok" if np.array_equal(data, expected) else "bad")
    if time.monotonic() >= next_write:
        t = sample + np.arange(per_entry)
        block = (np.arange(n_out)[None, :] * 100 + t[:, None] % 100).astype(np.int16)  # samples x channels
        now = time.monotonic_ns()
        r.xadd(out_stream, {"continuous": block.tobytes(), "ts": np.uint64(now).tobytes(),
                            "i": np.uint64(counter).tobytes(),
                            "sync": json.dumps({"count": counter, "sample": sample})}, maxlen=5000)
        counter, sample = counter + 1, sample + per_entry
        next_write += period
r.xadd(f"{NICK}_state", {"code": 0, "status": "shutdown"})
