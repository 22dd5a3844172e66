"""What a waiting reader sleeps on: wake-up latency of the candidate primitives, and the CPU of a
subscriber that waits for input on each cortexlink transport.

    python benchmarks/latency_wake.py [--quick]

Wake-up: one process stamps ``monotonic_ns`` and signals every 2 ms; the waiter, asleep in the
primitive, records ``monotonic_ns - stamp`` when it runs. Compared: the futex in cortexlink's shm
rings (one syscall wakes every reader), a pipe with select, a POSIX semaphore and an Event (both
``multiprocessing``). The semaphore and the pipe need one object per reader and one syscall per
reader per chunk; the futex is shared by all readers of a stream.
"""

from __future__ import annotations

import argparse
import mmap
import multiprocessing as mp
import os
import select
import sys
import time

import numpy as np

PRIMITIVES = ("futex (cortexlink)", "os.pipe + select", "mp.Semaphore", "mp.Event")
SPACING_S = 0.002
INPUTS = (("none (idle)", None), ("every 10 ms (bins)", 0.01), ("every 1 ms (raw chunks)", 0.001))


def _waiter(kind, obj, stamp, done, ready, out):
    from cortexlink.graph.futex import Futex

    lat = []
    if kind == "futex (cortexlink)":
        fd = os.open(obj, os.O_RDWR)
        fx = Futex(mmap.mmap(fd, 64), 0)
    ready.put(1)
    while not done.value:
        if kind == "futex (cortexlink)":
            seen = fx.value
            fx.wait(seen, 0.2)
            woke = fx.value != seen
        elif kind == "os.pipe + select":
            woke = bool(select.select([obj], [], [], 0.2)[0])
            if woke:
                os.read(obj, 4096)
        elif kind == "mp.Semaphore":
            woke = obj.acquire(timeout=0.2)
        else:
            woke = obj.wait(0.2)
            obj.clear()
        if woke:
            lat.append(time.monotonic_ns() - stamp.value)
    out.put(np.array(lat, dtype=np.int64))


def wake_latency(kind: str, n: int) -> np.ndarray:
    """Latencies (ns) of ``n`` signals, each ``SPACING_S`` apart."""
    ctx = mp.get_context("fork")
    ready, out = ctx.Queue(), ctx.Queue()
    stamp, done = ctx.Value("q", 0, lock=False), ctx.Value("b", 0, lock=False)
    path = None
    if kind == "futex (cortexlink)":
        from cortexlink.graph.futex import Futex

        path = f"/dev/shm/cortexlink-wake-{os.getpid()}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 64)
        fx = Futex(mmap.mmap(fd, 64), 0)
        obj = path

        def signal_one():
            fx.bump()
            fx.wake()
    elif kind == "os.pipe + select":
        rfd, wfd = os.pipe()
        obj = rfd

        def signal_one():
            os.write(wfd, b"x")
    else:
        obj = ctx.Semaphore(0) if kind == "mp.Semaphore" else ctx.Event()
        signal_one = obj.release if kind == "mp.Semaphore" else obj.set
    proc = ctx.Process(target=_waiter, args=(kind, obj, stamp, done, ready, out))
    proc.start()
    ready.get(timeout=60)
    for _ in range(n):
        time.sleep(SPACING_S)
        stamp.value = time.monotonic_ns()
        signal_one()
    time.sleep(0.05)
    done.value = 1
    lat = out.get(timeout=60)
    proc.join()
    if path:
        os.unlink(path)
    return lat[10:]


def _idle_sub(address, seconds, out):
    from cortexlink.graph.transport import connect

    r = connect(address).reader(_spec())
    r.read(0.05)  # one wait first, so start-up work left over is not counted as waiting
    c0, t0 = time.process_time(), time.monotonic()
    got = 0
    while time.monotonic() - t0 < seconds:
        if r.read(0.1) is not None:
            got += 1
    out.put((100 * (time.process_time() - c0) / (time.monotonic() - t0), got))


def _spec():
    from cortexlink.core import StreamSpec

    return StreamSpec("idle", 96, 30000.0, "int16", 30)


def waiting_cpu(transport, seconds: float, period_s: float | None) -> tuple[float, int]:
    """CPU% of a subscriber waiting on a stream written every ``period_s`` (None: never)."""
    from cortexlink.core import Chunk

    transport.create(_spec(), 64)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_idle_sub, args=(transport.address, seconds, out))
    proc.start()
    writer = transport.writer(_spec())
    data = np.zeros((96, 30), np.int16)
    end = time.monotonic() + seconds + 60
    while proc.is_alive() and time.monotonic() < end and out.empty():
        if period_s is not None:
            writer.write(Chunk(data, 0, 30000.0, time.monotonic_ns()))
        time.sleep(period_s or 0.1)
    cpu, got = out.get(timeout=60)
    proc.join()
    return cpu, got


def _us(ns: float) -> str:
    return f"{ns / 1e3:.0f}"


def print_wake_tables(quick: bool, redis_url: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from cortexlink.graph.shm import ShmTransport

    console = Console(width=160)
    wake = Table(title="wake-up: signal in one process -> waiter running in another (us)",
                 title_justify="left")
    for col in ("primitive", "wakes", "p50", "p99", "max"):
        wake.add_column(col, justify="left" if col == "primitive" else "right")
    rounds = 2 if quick else 4  # interleaved, so a busy spell of the machine hits every primitive
    per_round = 150 if quick else 400
    lats: dict[str, list[np.ndarray]] = {k: [] for k in PRIMITIVES}
    for _ in range(rounds):
        for kind in PRIMITIVES:
            lats[kind].append(wake_latency(kind, per_round))
    for kind in PRIMITIVES:
        lat = np.concatenate(lats[kind])
        wake.add_row(kind, str(lat.size), _us(np.percentile(lat, 50)), _us(np.percentile(lat, 99)),
                     _us(lat.max()))
    console.print(wake)

    idle = Table(title="CPU of a subscriber waiting for input (96 ch int16 stream)", title_justify="left")
    for col in ("transport", "input", "CPU%", "chunks read"):
        idle.add_column(col, justify="left" if col in ("transport", "input") else "right")
    seconds = 2.0 if quick else 5.0
    kinds = ["shm"] + (["redis"] if redis_url else [])
    for kind in kinds:
        for label, period in INPUTS:
            if kind == "shm":
                transport = ShmTransport()
            else:
                from cortexlink.graph.redis_transport import RedisTransport

                transport = RedisTransport(redis_url)
            try:
                cpu, got = waiting_cpu(transport, seconds, period)
            finally:
                transport.destroy()
            idle.add_row(kind, label, f"{cpu:.2f}", str(got))
    console.print(idle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer wake-ups, shorter waits")
    args = parser.parse_args(argv)
    from cortexlink.graph.redis_server import RedisServer, redis_server_available

    if redis_server_available():
        with RedisServer() as server:
            print_wake_tables(args.quick, server.url)
    else:
        print_wake_tables(args.quick, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
