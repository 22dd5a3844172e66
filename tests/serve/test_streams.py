"""The WebSocket fan-out: one reader and one encoded frame per tick for all clients of a stream,
each client at its own rate, a slow one decimated, running totals that lose nothing when frames
are skipped (driven without a server: a fake tap and run)."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.serve import streams


class FakeTap:
    """A stream that has ``per_read`` new one-sample chunks of ones each time it is drained."""

    def __init__(self, per_read: int = 2) -> None:
        self.spec = SimpleNamespace(n_channels=3)
        self.per_read, self.written, self.drains = per_read, 0, 0

    def drain(self) -> list[Chunk]:
        self.drains += 1
        out = []
        for _ in range(self.per_read):
            out.append(Chunk(np.ones((3, 1), np.float32) * self.written, self.written, 1000.0, 0))
            self.written += 1
        return out

    def close(self) -> None:
        pass


async def _collect(client: streams.Client, n: int, sent: list[str], delay: float = 0.0) -> None:
    """A client's sender: takes its frames as they come (``delay`` s to send each)."""
    while len(sent) < n:
        await client.ready.wait()
        client.ready.clear()
        texts = [t for t in (client.notice, client.pending) if t is not None]
        client.notice = client.pending = None
        client.sending = True
        await asyncio.sleep(delay)
        client.sending = False
        sent += texts


def test_one_read_and_one_frame_per_tick_for_every_client():
    async def main():
        tap = FakeTap()
        feed = streams.Feed(tap, SimpleNamespace(running=True, reason=""), "s")
        fast = [feed.join(60.0) for _ in range(5)]
        slow = feed.join(20.0)
        got = [[] for _ in fast]
        slow_got: list[str] = []
        await asyncio.gather(*(_collect(c, 12, g) for c, g in zip(fast, got, strict=True)),
                             _collect(slow, 4, slow_got))
        for c in [*fast, slow]:
            feed.leave(c)
        return tap, feed, got, slow_got

    tap, feed, got, slow_got = asyncio.run(main())
    assert feed.reads == tap.drains and feed.frames == feed.reads  # one read, one encoding per tick
    assert feed.frames < 20  # not one per client: 5 clients x 12 + 4 would be 64
    # every fast client got the very same frames; the slow one every third of them
    assert all(g[:12] == got[0][:12] for g in got)
    counts = [json.loads(t)["count"] for t in got[0]]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert set(slow_got[:4]) <= set(got[0]) | {None}


def test_running_totals_lose_nothing_when_a_slow_client_skips_frames():
    async def main():
        tap = FakeTap(per_read=3)
        feed = streams.Feed(tap, SimpleNamespace(running=True, reason=""), "s")
        fast, slow = feed.join(120.0), feed.join(120.0)
        fast_got: list[str] = []
        slow_got: list[str] = []
        await asyncio.gather(_collect(fast, 40, fast_got), _collect(slow, 3, slow_got, delay=0.12))
        feed.leave(fast)
        feed.leave(slow)
        return fast_got, slow_got, slow

    fast_got, slow_got, slow = asyncio.run(main())
    frames = [json.loads(t) for t in slow_got if "count" in t]
    notices = [json.loads(t) for t in slow_got if "decimated" in t]
    # the slow client skipped frames and was decimated (told so), yet each frame's totals are whole:
    # the sum of samples 0..count-1, each of value = its index
    assert notices and notices[0]["decimated"] < 120 and slow.every > 1
    for m in frames:
        n = m["count"]
        assert m["total"] == [float(n * (n - 1) // 2)] * 3 and m["last"] == [float(n - 1)] * 3
    assert len(fast_got) >= 40 and frames[-1]["count"] > frames[0]["count"] + 3


def test_clients_are_told_when_the_graph_ends():
    async def main():
        tap = FakeTap(per_read=0)
        feed = streams.Feed(tap, SimpleNamespace(running=False, reason="done"), "s")
        client = feed.join(30.0)
        await asyncio.wait_for(client.ready.wait(), 5)
        return client

    client = asyncio.run(main())
    assert client.ended is not None and client.ended[1] == "ended" and "done" in client.ended[2]
