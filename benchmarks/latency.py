"""Publisher -> subscriber latency of int16 chunks of 1 ms at 30 kHz, side by side.

Systems, each with one publisher process and 1, 2 or 4 subscriber processes:
  cortexlink shm    - shared-memory rings, futex wake-up (cortexlink.graph.shm); processes unpinned
  cortexlink shm pinned - the same, with the publisher and its subscribers pinned to cores (as a graph
                      file's ``cpu_affinity`` does): the publisher on one core, subscriber k on the
                      k-th core after it (round robin), so a subscriber is never woken behind its
                      publisher on one core
  cortexlink redis  - Redis Streams via cortexlink.graph.redis_transport (private redis-server, unix socket,
                      at nice -10 where allowed, as `cortexlink run --transport redis` starts it)
  redis-py loop     - BRAND's Python pattern: XADD of the raw bytes / blocking XREAD COUNT 1, same server
  ezmsg             - ezmsg (PyPI) low-level publisher/subscriber over its shared memory
  BRAND pub -> redis_stream_in - a BRAND-style publisher (samples x channels with ``ts``) read by
                      cortexlink's redis_stream_in node (latency_brand.py)
Latency is the subscriber's ``monotonic_ns()`` on receipt minus the publisher's just before it
published; CPU% is process time over wall time of each process while messages flow; steal% is the
share of the machine's CPU time a hypervisor took while the case ran (0 on bare metal; on a VM it
is tail latency no code inside can remove). A case that
fails is tried once more and says so in its row. Every system but ``cortexlink shm pinned`` runs its
processes unpinned (where the scheduler puts them).

Then, in the same run: the default closed-loop graph with a GRU decoder (``latency_graph.py``:
last sample of a bin -> decoded velocity, and every node's CPU%), and the wake-up primitives plus
the CPU of a waiting subscriber (``latency_wake.py``). Each of those also runs on its own.

    python benchmarks/latency.py                    # full run (about 8 min on a busy 2-core machine)
    python benchmarks/latency.py --quick            # short run
    python benchmarks/latency.py --rt-priority 20   # measured processes at SCHED_FIFO 20, as BRAND runs
    python benchmarks/latency.py --no-pm-qos        # CPU idle states left alone (cortexlink run holds
                                                    # the PM QoS wake-up latency at 0 unless told not to)
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

import latency_brand
import latency_graph
import latency_wake
import numpy as np

RATE = 30_000
CHUNK = 30            # 1 ms at 30 kHz
WARMUP = 50
SYSTEMS = ("cortexlink shm", "cortexlink shm pinned", "cortexlink redis", "redis-py loop", "ezmsg",
           latency_brand.SYSTEM)
EZ_ADDR = ("127.0.0.1", 25979)
RT_ENV = "CORTEXLINK_BENCH_RT"
# the first message waits for the publisher's process to start and import (seconds on a busy machine)
FIRST_WAIT_S, NEXT_WAIT_S = 60.0, 5.0


@dataclass
class Result:
    system: str
    channels: int
    subscribers: int
    lat_ns: np.ndarray | None = None
    pub_cpu: float = float("nan")
    sub_cpu: float = float("nan")
    lost: int = 0
    steal: float = float("nan")
    error: str = ""


def cpu_ticks() -> tuple[int, int]:
    """(steal, total) CPU ticks of this machine so far, from ``/proc/stat``; (0, 0) where absent.

    Steal is time the hypervisor ran something else while this (virtual) machine wanted a CPU: on a
    cloud VM it shows up as tail latency no code inside the VM can remove."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Stolen share of the CPU time between two ``cpu_ticks()`` readings, in percent."""
    total = after[1] - before[1]
    return 100 * (after[0] - before[0]) / total if total > 0 else float("nan")


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
        c = r.read(FIRST_WAIT_S if r.chunks == 0 else NEXT_WAIT_S)
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
        deadline = time.monotonic() + (FIRST_WAIT_S if last["id"] == b"$" else NEXT_WAIT_S)
        reply = None
        while not reply and time.monotonic() < deadline:
            reply = r.xread({"bench": last["id"]}, block=500, count=1)
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


BODIES = {"cortexlink shm": (_cl_pub, _cl_sub), "cortexlink shm pinned": (_cl_pub, _cl_sub),
          "cortexlink redis": (_cl_pub, _cl_sub),
          "redis-py loop": (_rp_pub, _rp_sub), "ezmsg": (_ez_pub, _ez_sub),
          latency_brand.SYSTEM: (latency_brand.brand_pub, latency_brand.stream_in_sub)}


def _logged(target, log_path, cpu, *args):
    """Run ``target`` with stderr in ``log_path`` (peers print teardown noise; errors are kept),
    pinned to ``cpu`` unless it is None."""
    sys.stderr = open(log_path, "w")  # noqa: SIM115
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    apply_rt_priority()
    try:
        target(*args)
    except BaseException:
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        raise


def apply_rt_priority(pid: int = 0) -> None:
    """SCHED_FIFO at the priority in $CORTEXLINK_BENCH_RT (set by --rt-priority), as BRAND runs."""
    prio = int(os.environ.get(RT_ENV, "0"))
    if prio:
        os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(prio))


def _last_error(paths: list[str]) -> str:
    for path in paths:
        try:
            lines = [ln.strip() for ln in open(path).read().splitlines() if ln.strip()]
        except OSError:
            continue
        errors = [ln for ln in lines if "Error" in ln or "Exception" in ln]
        if errors:
            return errors[-1][:60]
    return ""


# ---------------------------------------------------------------------------------------------- #
def run_case(system: str, ch: int, n_subs: int, n: int, env: dict) -> Result:
    """One publisher and ``n_subs`` subscribers of ``system``; tried twice if it fails."""
    res = _run_case_once(system, ch, n_subs, n, env)
    if res.error:
        first = res.error
        print(f"    failed ({first}); trying once more", flush=True)
        again = _run_case_once(system, ch, n_subs, n, env)
        if not again.error:
            again.error = f"2nd try; 1st: {first}"[:90]
            return again
    return res


def _run_case_once(system: str, ch: int, n_subs: int, n: int, env: dict) -> Result:
    import tempfile

    res = Result(system, ch, n_subs)
    logs = [tempfile.mktemp(prefix="cortexlink-bench-", suffix=".log") for _ in range(n_subs + 1)]
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    pub_body, sub_body = BODIES[system]
    cores = sorted(os.sched_getaffinity(0))
    pinned = system.endswith(" pinned")

    def core(k: int) -> int | None:  # the publisher is k = 0
        return cores[k % len(cores)] if pinned else None

    if system.startswith("cortexlink shm"):
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
        if system in ("redis-py loop", latency_brand.SYSTEM):
            import redis

            redis.Redis.from_url(address).delete("bench")
    procs = [ctx.Process(target=_logged, args=(sub_body, logs[i], core(i + 1), address, ch, n, ready, out))
             for i in range(n_subs)]
    procs.append(ctx.Process(target=_logged, args=(pub_body, logs[-1], core(0), address, ch, n, go, out)))
    stage = "starting subscribers"
    try:
        for p in procs[:-1]:
            p.start()
        for _ in range(n_subs):
            ready.get(timeout=60)
        stage = "publishing"
        procs[-1].start()
        time.sleep(0.5 if system != "ezmsg" else 1.5)  # let the publisher connect
        ticks = cpu_ticks()
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
        res.steal = steal_percent(ticks, cpu_ticks())
        res.lat_ns = np.concatenate(lats)
        res.sub_cpu = float(np.mean(cpus))
    except Exception as exc:  # a peer that fails says so in its row
        res.error = f"{type(exc).__name__} while {stage}"
    finally:
        for p in procs:
            p.join(3)
            if p.is_alive():
                p.kill()
                p.join()
        if transport is not None:
            transport.destroy()
        if res.error:
            codes = ",".join(str(p.exitcode) for p in procs)
            res.error = f"{res.error} (exit codes {codes}) {_last_error(logs)}".strip()[:90]
        for path in logs:
            with contextlib.suppress(OSError):
                os.unlink(path)
    return res


# ---------------------------------------------------------------------------------------------- #
def _fmt_us(ns: float) -> str:
    return f"{ns / 1e3:.0f}" if np.isfinite(ns) else "-"


def print_table(results: list[Result]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="publisher -> subscriber latency, int16 1 ms chunks at 30 kHz (us; ratio = p99 / "
                        "cortexlink shm p99, unpinned; 'pinned': publisher on one core, subscribers on the "
                        "next ones)",
                  title_justify="left")
    for col in ("channels", "subs", "system", "p50", "p99", "max", "p99 ratio", "pub CPU%", "sub CPU%",
                "lost", "steal%", "note"):
        table.add_column(col, justify="left" if col in ("system", "note") else "right")
    base = {(r.channels, r.subscribers): np.percentile(r.lat_ns, 99) for r in results
            if r.system == "cortexlink shm" and r.lat_ns is not None and r.lat_ns.size}
    for r in results:
        if r.lat_ns is None or not r.lat_ns.size:
            table.add_row(str(r.channels), str(r.subscribers), r.system, *["-"] * 8, r.error or "no data")
            continue
        p50, p99, mx = np.percentile(r.lat_ns, 50), np.percentile(r.lat_ns, 99), r.lat_ns.max()
        key = (r.channels, r.subscribers)
        ratio = p99 / base[key] if key in base else float("nan")
        table.add_row(str(r.channels), str(r.subscribers), r.system, _fmt_us(p50), _fmt_us(p99), _fmt_us(mx),
                      f"{ratio:.2f}x", f"{r.pub_cpu:.1f}", f"{r.sub_cpu:.1f}", str(r.lost),
                      f"{r.steal:.2f}", r.error)
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of 1 kHz chunks per case")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of systems")
    parser.add_argument("--cases", default=None, metavar="CHxSUBS,...",
                        help="channels x subscribers, e.g. 1024x4,96x1 (default: all six; --quick: three)")
    parser.add_argument("--graph-seconds", type=float, default=None,
                        help="seconds to run the default graph with a GRU decoder (0: skip)")
    parser.add_argument("--only-graph", action="store_true", help="only the default-graph run")
    parser.add_argument("--rt-priority", type=int, default=0, metavar="N",
                        help="run every measured process (and redis-server) at SCHED_FIFO priority N, as "
                             "BRAND does; needs CAP_SYS_NICE (default: normal scheduling)")
    parser.add_argument("--no-pm-qos", dest="pm_qos", action="store_false",
                        help="leave CPU idle states alone (default: hold the PM QoS CPU wake-up "
                             "latency at 0, as 'cortexlink run' does)")
    args = parser.parse_args(argv)
    if args.rt_priority:
        os.environ[RT_ENV] = str(args.rt_priority)
    seconds = args.seconds or (0.6 if args.quick else 3.0)
    n = int(seconds * 1000) + WARMUP
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    cases = [(1024, 1), (512, 1), (256, 1), (96, 1), (1024, 2), (1024, 4)]
    if args.quick:
        cases = [(1024, 1), (96, 1), (1024, 4)]
    if args.cases:
        cases = [tuple(int(v) for v in case.lower().split("x")) for case in args.cases.split(",")]

    from cortexlink.graph.pm_qos import CpuLatencyRequest
    from cortexlink.graph.redis_server import RedisServer, redis_server_available

    env: dict = {}
    stack = contextlib.ExitStack()
    run_ticks = cpu_ticks()
    qos = stack.enter_context(CpuLatencyRequest(0)) if args.pm_qos else None
    held = qos is not None and qos.active
    print(qos.describe() if qos else "CPU idle states left alone (--no-pm-qos)", flush=True)
    if redis_server_available():
        server = stack.enter_context(RedisServer())
        apply_rt_priority(server.proc.pid)
        env["redis_url"] = server.url
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
        if ez_server is not None:
            with contextlib.suppress(Exception):  # its thread may already be gone
                ez_server.stop()
        graph_s = args.graph_seconds if args.graph_seconds is not None else (40.0 if args.quick else 60.0)
        if graph_s > 0:
            latency_graph.main(["--seconds", str(graph_s), "--calibration", "8" if args.quick else "10",
                                "--rt-priority", str(args.rt_priority)])
        if not args.only_graph:
            latency_wake.print_wake_tables(args.quick, env.get("redis_url"))

    sched = f"SCHED_FIFO {args.rt_priority}" if args.rt_priority else "normal scheduling"
    sched += "; PM QoS CPU wake-up latency " + ("held at 0 us" if held else "not held")
    print(f"{sched}; cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
          f"steal {steal_percent(run_ticks, cpu_ticks()):.2f}% of CPU time over the run; "
          f"{seconds:g} s of 1 kHz chunks per case after {WARMUP} warm-up chunks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
