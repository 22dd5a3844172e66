"""Publisher -> subscriber latency of int16 chunks of 1 ms at 30 kHz, side by side.

Systems, each with one publisher process and 1, 2 or 4 subscriber processes:
  cortexlink shm    - shared-memory rings, futex wake-up (cortexlink.graph.shm)
  cortexlink redis  - Redis Streams via cortexlink.graph.redis_transport (private redis-server, unix socket)
  redis-py loop     - BRAND's Python pattern: XADD of the raw bytes / blocking XREAD, same redis-server
  ezmsg             - ezmsg (PyPI) low-level publisher/subscriber over its shared memory
Latency is the subscriber's ``monotonic_ns()`` on receipt minus the publisher's just before it
published; CPU% is process time over wall time of each process while messages flow. A second table
compares wake-up primitives (what a waiting reader sleeps on) and the CPU of a waiting subscriber.

    python benchmarks/latency.py            # full run (a few minutes)
    python benchmarks/latency.py --quick    # short run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from cortexlink.graph import Node

RATE = 30_000
CHUNK = 30            # 1 ms at 30 kHz
WARMUP = 50
SYSTEMS = ("cortexlink shm", "cortexlink redis", "redis-py loop", "ezmsg")
EZ_ADDR = ("127.0.0.1", 25979)


@dataclass
class Result:
    system: str
    channels: int
    subscribers: int
    lat_ns: np.ndarray | None = None
    pub_cpu: float = float("nan")
    sub_cpu: float = float("nan")
    lost: int = 0
    error: str = ""


# ---------------------------------------------------------------------------------------------- #
# publisher / subscriber bodies per system (run in their own processes)
# ---------------------------------------------------------------------------------------------- #
def _pace(n: int, send) -> float:
    """Call ``send(i)`` every 1 ms for ``n`` chunks; returns the CPU% of this process meanwhile."""
    c0, t0 = time.process_time(), time.monotonic()
    for i in range(n):
        send(i)
        delay = t0 + (i + 1) * 1e-3 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return 100 * (time.process_time() - c0) / (time.monotonic() - t0)


def _collect(n: int, recv) -> tuple[np.ndarray, float]:
    """Receive ``n`` messages with ``recv() -> publish time ns | None``; latencies and CPU%."""
    lat = np.full(n, -1, dtype=np.int64)
    c0 = t0 = None
    for i in range(n):
        ts = recv()
        if ts is None:
            break
        lat[i] = time.monotonic_ns() - ts
        if i == WARMUP:
            c0, t0 = time.process_time(), time.monotonic()
    cpu = 100 * (time.process_time() - c0) / (time.monotonic() - t0) if t0 else float("nan")
    return lat, cpu


def _spec(ch: int):
    from cortexlink.core import StreamSpec

    return StreamSpec("bench", ch, float(RATE), "int16", CHUNK)


def _cl_pub(address, ch, n, go, out):
    from cortexlink.core import Chunk
    from cortexlink.graph.transport import connect

    w = connect(address).writer(_spec(ch))
    data = np.zeros((ch, CHUNK), np.int16)
    go.wait()
    out.put(("pub", _pace(n, lambda i: w.write(Chunk(data, i * CHUNK, RATE, time.monotonic_ns())))))


def _cl_sub(address, ch, n, ready, out):
    from cortexlink.graph.transport import connect

    r = connect(address).reader(_spec(ch))
    ready.put(1)

    def recv():
        c = r.read(5.0)
        return None if c is None else c.origin_ns

    lat, cpu = _collect(n, recv)
    out.put(("sub", lat, cpu, r.overruns))


def _rp_pub(url, ch, n, go, out):
    import redis

    r = redis.Redis.from_url(url)
    data = np.zeros((ch, CHUNK), np.int16)
    go.wait()
    out.put(("pub", _pace(n, lambda i: r.xadd("bench", {"ts": time.monotonic_ns(), "samples": data.tobytes()},
                                              maxlen=256, approximate=True))))


def _rp_sub(url, ch, n, ready, out):
    import redis

    r = redis.Redis.from_url(url)
    last = {"id": b"$"}
    ready.put(1)

    def recv():
        reply = r.xread({"bench": last["id"]}, block=5000, count=1)
        if not reply:
            return None
        entry_id, fields = reply[0][1][0]
        last["id"] = entry_id
        np.frombuffer(fields[b"samples"], np.int16).reshape(ch, CHUNK)
        return int(fields[b"ts"])

    lat, cpu = _collect(n, recv)
    out.put(("sub", lat, cpu, 0))


def _ez_pub(_addr, ch, n, go, out):
    import ezmsg.core as ez

    async def main():
        async with ez.GraphContext(EZ_ADDR, auto_start=False) as ctx:
            pub = await ctx.publisher("bench", buf_size=ch * CHUNK * 2 + 65536)
            data = np.zeros((ch, CHUNK), np.int16)
            go.wait()
            c0, t0 = time.process_time(), time.monotonic()
            for i in range(n):
                await pub.broadcast((time.monotonic_ns(), data))
                delay = t0 + (i + 1) * 1e-3 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            out.put(("pub", 100 * (time.process_time() - c0) / (time.monotonic() - t0)))
            await asyncio.sleep(0.5)

    asyncio.run(main())


def _ez_sub(_addr, ch, n, ready, out):
    import ezmsg.core as ez

    async def main():
        async with ez.GraphContext(EZ_ADDR, auto_start=False) as ctx:
            sub = await ctx.subscriber("bench")
            ready.put(1)
            lat = np.full(n, -1, dtype=np.int64)
            c0 = t0 = None
            for i in range(n):
                try:
                    async with asyncio.timeout(5.0):
                        async with sub.recv_zero_copy() as msg:
                            lat[i] = time.monotonic_ns() - msg[0]
                            msg[1].sum()
                except TimeoutError:
                    break
                if i == WARMUP:
                    c0, t0 = time.process_time(), time.monotonic()
            cpu = 100 * (time.process_time() - c0) / (time.monotonic() - t0) if t0 else float("nan")
            out.put(("sub", lat, cpu, 0))

    asyncio.run(main())


BODIES = {"cortexlink shm": (_cl_pub, _cl_sub), "cortexlink redis": (_cl_pub, _cl_sub),
          "redis-py loop": (_rp_pub, _rp_sub), "ezmsg": (_ez_pub, _ez_sub)}


def _quiet(target, *args):
    """Run ``target`` with stderr silenced (peers print teardown noise)."""
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    target(*args)


# ---------------------------------------------------------------------------------------------- #
def run_case(system: str, ch: int, n_subs: int, n: int, env: dict) -> Result:
    res = Result(system, ch, n_subs)
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    pub_body, sub_body = BODIES[system]
    if system == "cortexlink shm":
        from cortexlink.graph.shm import ShmTransport

        transport = ShmTransport()
        transport.create(_spec(ch), 256)
        address = transport.address
    elif system == "cortexlink redis":
        from cortexlink.graph.redis_transport import RedisTransport

        transport = RedisTransport(env["redis_url"])
        transport.create(_spec(ch), 256)
        address = transport.address
    else:
        transport = None
        address = env.get("redis_url")
        if system == "redis-py loop":
            import redis

            redis.Redis.from_url(address).delete("bench")
    procs = [ctx.Process(target=_quiet, args=(sub_body, address, ch, n, ready, out)) for _ in range(n_subs)]
    procs.append(ctx.Process(target=_quiet, args=(pub_body, address, ch, n, go, out)))
    try:
        for p in procs[:-1]:
            p.start()
        for _ in range(n_subs):
            ready.get(timeout=60)
        procs[-1].start()
        time.sleep(0.5 if system != "ezmsg" else 1.5)  # let the publisher connect
        go.set()
        lats, cpus = [], []
        for _ in range(n_subs + 1):
            msg = out.get(timeout=n / 1000 + 60)
            if msg[0] == "pub":
                res.pub_cpu = msg[1]
            else:
                lat = msg[1][WARMUP:]
                res.lost += int((lat < 0).sum()) + int(msg[3])
                lats.append(lat[lat >= 0])
                cpus.append(msg[2])
        res.lat_ns = np.concatenate(lats)
        res.sub_cpu = float(np.mean(cpus))
    except Exception as exc:  # a peer that fails says so in its row
        res.error = f"{type(exc).__name__}: {exc}"[:60] or "failed"
    finally:
        for p in procs:
            p.join(3)
            if p.is_alive():
                p.kill()
                p.join()
        if transport is not None:
            transport.destroy()
    return res


# ---------------------------------------------------------------------------------------------- #
# wake-up primitives and the CPU of a waiting subscriber
# ---------------------------------------------------------------------------------------------- #
def _wake_waiter(kind, obj, n, ready, out):
    from cortexlink.graph.futex import Futex

    lat = []
    if kind == "futex (cortexlink)":
        import mmap

        fd = os.open(obj, os.O_RDWR)
        mm = mmap.mmap(fd, 64)
        fx = Futex(mm, 0)
        stamp = np.ndarray((1,), np.int64, buffer=mm, offset=8)
        ready.put(1)
        for _ in range(n):
            seen = fx.value
            while fx.value == seen:
                fx.wait(seen, 1.0)
            lat.append(time.monotonic_ns() - int(stamp[0]))
    elif kind == "os.pipe + select":
        import select

        rfd = obj
        ready.put(1)
        for _ in range(n):
            select.select([rfd], [], [])
            lat.append(time.monotonic_ns() - int.from_bytes(os.read(rfd, 8), "little"))
    else:  # multiprocessing primitives: obj = (primitive, shared stamp)
        prim, stamp = obj
        ready.put(1)
        for _ in range(n):
            if kind == "mp.Semaphore":
                prim.acquire()
            else:
                prim.wait()
                prim.clear()
            lat.append(time.monotonic_ns() - stamp.value)
    out.put(np.array(lat))


def wake_latency(kind: str, n: int) -> np.ndarray:
    ctx = mp.get_context("fork")
    ready, out = ctx.Queue(), ctx.Queue()
    if kind == "futex (cortexlink)":
        import mmap

        from cortexlink.graph.futex import Futex

        path = f"/dev/shm/cortexlink-wake-{os.getpid()}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 64)
        mm = mmap.mmap(fd, 64)
        fx, stamp = Futex(mm, 0), np.ndarray((1,), np.int64, buffer=mm, offset=8)
        obj = path

        def signal_one():
            stamp[0] = time.monotonic_ns()
            fx.bump()
            fx.wake()
    elif kind == "os.pipe + select":
        rfd, wfd = os.pipe()
        obj = rfd

        def signal_one():
            os.write(wfd, time.monotonic_ns().to_bytes(8, "little"))
    else:
        stamp = ctx.Value("q", 0, lock=False)
        prim = ctx.Semaphore(0) if kind == "mp.Semaphore" else ctx.Event()
        obj = (prim, stamp)

        def signal_one():
            stamp.value = time.monotonic_ns()
            prim.release() if kind == "mp.Semaphore" else prim.set()
    proc = ctx.Process(target=_wake_waiter, args=(kind, obj, n, ready, out))
    proc.start()
    ready.get(timeout=30)
    for _ in range(n):
        time.sleep(0.002)
        signal_one()
    lat = out.get(timeout=30)
    proc.join()
    if kind == "futex (cortexlink)":
        os.unlink(path)
    return lat[10:]


def _idle_sub(address, ch, seconds, out):
    from cortexlink.graph.transport import connect

    r = connect(address).reader(_spec(ch))
    c0, t0 = time.process_time(), time.monotonic()
    got = 0
    while time.monotonic() - t0 < seconds:
        if r.read(0.1) is not None:
            got += 1
    out.put((100 * (time.process_time() - c0) / (time.monotonic() - t0), got))


def waiting_cpu(transport_kind: str, env: dict, seconds: float, period_s: float | None) -> tuple[float, int]:
    """CPU% of a subscriber waiting on a stream written every ``period_s`` (None: never)."""
    from cortexlink.core import Chunk

    if transport_kind == "shm":
        from cortexlink.graph.shm import ShmTransport

        t = ShmTransport()
    else:
        from cortexlink.graph.redis_transport import RedisTransport

        t = RedisTransport(env["redis_url"])
    t.create(_spec(96), 64)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_idle_sub, args=(t.address, 96, seconds, out))
    proc.start()
    w = t.writer(_spec(96))
    data = np.zeros((96, CHUNK), np.int16)
    end = time.monotonic() + seconds + 3
    while proc.is_alive() and time.monotonic() < end:
        if period_s is not None:
            w.write(Chunk(data, 0, RATE, time.monotonic_ns()))
        time.sleep(period_s or 0.1)
    cpu, got = out.get(timeout=30)
    proc.join()
    t.destroy()
    return cpu, got


# ---------------------------------------------------------------------------------------------- #
# end to end in the default closed-loop graph with a GRU decoder
# ---------------------------------------------------------------------------------------------- #
class LiveLatencyProbe(Node):
    """Latency of decoded bins once the decoder is live (row 2 of ``decoded`` is 1): the bin's
    ``origin_ns`` (its last input sample's acquisition) to this node's receipt of the velocity."""

    kind = "live_latency_probe"
    outputs = ()

    def setup(self) -> None:
        self.live = np.zeros(1_000_000, np.int64)
        self.n = 0

    def process(self, inputs):
        chunk = inputs["in"]
        lat = time.monotonic_ns() - chunk.origin_ns
        if chunk.data[2, -1] > 0.5 and self.n < self.live.size:
            self.live[self.n] = lat
            self.n += 1
        return None

    def shutdown(self) -> None:
        if self.n:
            p50, p99 = np.percentile(self.live[:self.n], [50, 99])
            self.context.report({"live_bins": self.n, "p50_us": p50 / 1e3, "p99_us": p99 / 1e3,
                                 "max_us": self.live[:self.n].max() / 1e3})
        else:
            self.context.report({"live_bins": 0})


def default_graph_e2e(seconds: float, calibration_s: float, decoder: str = "gru"):
    """Run the default graph with ``decoder`` over shm; returns the supervisor's RunResult."""
    import tempfile
    from pathlib import Path

    import yaml

    from cortexlink.graph.plan import load_plan
    from cortexlink.graph.shm import ShmTransport
    from cortexlink.graph.supervisor import Supervisor
    from cortexlink.nodes import BUILTIN_NODES, DEFAULT_GRAPH

    doc = yaml.safe_load(Path(DEFAULT_GRAPH).read_text())
    for node in doc["nodes"]:
        if node["name"] == "decoder":
            # few epochs: the figure is the latency of decoding, not the quality of the fit
            node["parameters"].update(decoder=decoder, calibration_s=calibration_s,
                                      params={"epochs": 3, "patience": 1})
            node["heartbeat_timeout"] = 120.0
    doc["nodes"].append({"name": "LiveLatencyProbe", "module": str(Path(__file__).resolve()),
                         "nickname": "live_probe", "inputs": {"in": "decoded"}})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "default_gru.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        plan = load_plan(path, BUILTIN_NODES)
        transport = ShmTransport()
        try:
            return Supervisor(plan, transport).run(seconds)
        finally:
            transport.destroy()


def print_graph_result(result, decoder: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"default graph, {decoder} decoder, shm: per-node e2e latency (us, all bins), CPU%",
                  title_justify="left")
    for col in ("node", "kind", "chunks in", "dropped", "e2e p50", "e2e p99", "e2e max", "CPU%"):
        table.add_column(col, justify="left" if col in ("node", "kind") else "right")
    for st in result.nodes:
        h = st.histogram("e2e")
        table.add_row(st.nickname, st.plan.kind, str(st.total_in()), str(st.total_overruns()),
                      _fmt_us(h.percentile(50)), _fmt_us(h.percentile(99)),
                      _fmt_us(h.max_ns if h.count else float("nan")), f"{st.cpu_percent:.1f}")
    Console(width=160).print(table)
    probe = next(st for st in result.nodes if st.nickname == "live_probe").reports
    if probe.get("live_bins"):
        print(f"last sample of a bin -> decoded velocity received downstream, {probe['live_bins']} live "
              f"{decoder} bins: p50 {probe['p50_us']:.0f} us, p99 {probe['p99_us']:.0f} us, "
              f"max {probe['max_us']:.0f} us (target p99 < 2000 us)")
    else:
        print(f"the {decoder} decoder never went live in this run ({result.reason}); no live-bin latency")
    print(f"run stopped: {result.reason}")


# ---------------------------------------------------------------------------------------------- #
def _fmt_us(ns: float) -> str:
    return f"{ns / 1e3:.0f}" if np.isfinite(ns) else "-"


def print_table(results: list[Result]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="publisher -> subscriber latency, int16 1 ms chunks at 30 kHz (us; ratio = p99 / "
                        "cortexlink shm p99)", title_justify="left")
    for col in ("channels", "subs", "system", "p50", "p99", "max", "p99 ratio", "pub CPU%", "sub CPU%",
                "lost", "note"):
        table.add_column(col, justify="left" if col in ("system", "note") else "right")
    base = {(r.channels, r.subscribers): np.percentile(r.lat_ns, 99) for r in results
            if r.system == "cortexlink shm" and r.lat_ns is not None and r.lat_ns.size}
    for r in results:
        if r.lat_ns is None or not r.lat_ns.size:
            table.add_row(str(r.channels), str(r.subscribers), r.system, *["-"] * 7, r.error or "no data")
            continue
        p50, p99, mx = np.percentile(r.lat_ns, 50), np.percentile(r.lat_ns, 99), r.lat_ns.max()
        key = (r.channels, r.subscribers)
        ratio = p99 / base[key] if key in base else float("nan")
        table.add_row(str(r.channels), str(r.subscribers), r.system, _fmt_us(p50), _fmt_us(p99), _fmt_us(mx),
                      f"{ratio:.2f}x", f"{r.pub_cpu:.1f}", f"{r.sub_cpu:.1f}", str(r.lost), r.error)
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of 1 kHz chunks per case")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of systems")
    parser.add_argument("--graph-seconds", type=float, default=None,
                        help="seconds to run the default graph with a GRU decoder (0: skip)")
    parser.add_argument("--only-graph", action="store_true", help="only the default-graph run")
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.6 if args.quick else 3.0)
    n = int(seconds * 1000) + WARMUP
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    cases = [(1024, 1), (512, 1), (256, 1), (96, 1), (1024, 2), (1024, 4)]
    if args.quick:
        cases = [(1024, 1), (96, 1), (1024, 4)]

    from cortexlink.graph.redis_server import RedisServer, redis_server_available

    env: dict = {}
    stack = contextlib.ExitStack()
    if redis_server_available():
        env["redis_url"] = stack.enter_context(RedisServer()).url
    ez_server = None
    if "ezmsg" in systems and not args.only_graph:
        try:
            import ezmsg.core as ez

            ez_server = ez.GraphServer()
            ez_server.start(EZ_ADDR)
        except Exception as exc:
            print(f"ezmsg unavailable: {exc}")
    results = []
    if args.only_graph:
        cases = []
    with stack:
        for ch, subs in cases:
            for system in systems:
                if "redis" in system and "redis_url" not in env:
                    results.append(Result(system, ch, subs, error="redis-server not installed"))
                    continue
                if system == "ezmsg" and ez_server is None:
                    results.append(Result(system, ch, subs, error="ezmsg not installed / did not start"))
                    continue
                print(f"  {system:17s} {ch:5d} ch x {subs} subscriber(s) ...", flush=True)
                results.append(run_case(system, ch, subs, n, env))
        if results:
            print_table(results)
        graph_s = args.graph_seconds if args.graph_seconds is not None else (40.0 if args.quick else 60.0)
        if graph_s > 0:
            calib = 8.0 if args.quick else 10.0
            print(f"  default graph with a GRU decoder: {graph_s:g} s, {calib:g} s calibration ...",
                  flush=True)
            print_graph_result(default_graph_e2e(graph_s, calib), "gru")
        if args.only_graph:
            return 0

        from rich.console import Console
        from rich.table import Table

        wake = Table(title="wake-up primitives: signal in one process -> waiter running in another (us)",
                     title_justify="left")
        for col in ("primitive", "p50", "p99", "max"):
            wake.add_column(col, justify="left" if col == "primitive" else "right")
        for kind in ("futex (cortexlink)", "os.pipe + select", "mp.Semaphore", "mp.Event"):
            lat = wake_latency(kind, 200 if args.quick else 1000)
            stats = (np.percentile(lat, 50), np.percentile(lat, 99), lat.max())
            wake.add_row(kind, *(_fmt_us(v) for v in stats))
        Console(width=160).print(wake)

        idle = Table(title="CPU of a subscriber waiting for input (96 ch stream)", title_justify="left")
        for col in ("transport", "input", "CPU%", "chunks read"):
            idle.add_column(col, justify="left" if col in ("transport", "input") else "right")
        secs = 2.0 if args.quick else 5.0
        for kind in ("shm", "redis"):
            if kind == "redis" and "redis_url" not in env:
                continue
            for label, period in (("none (idle)", None), ("every 10 ms (bins)", 0.01)):
                cpu, got = waiting_cpu(kind, env, secs, period)
                idle.add_row(kind, label, f"{cpu:.2f}", str(got))
        Console(width=160).print(idle)
    if ez_server is not None:
        ez_server.stop()
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; "
          f"{seconds:g} s of 1 kHz chunks per case after {WARMUP} warm-up chunks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
