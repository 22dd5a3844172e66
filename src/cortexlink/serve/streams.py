"""``WS /streams/{name}?graph=g1&rate=30``: a running graph's stream, decimated to the rate the
client asks for.

The first message from the client is ``{"token": "..."}`` (a browser can't set headers on a
WebSocket, and a token in the URL would end up in logs). Then, ``rate`` times a second, the
server sends what was written since the last message: ``{"stream", "start" (samples the server
had read before them), "samples", "last" (newest value of each row), "sum" (each row summed over
those samples: spike counts)}``. Every client of a stream shares one reader of it (``Feed``), so
ten dashboards read the graph's stream no more than one does. The graph never waits for a client
(its processes write rings that readers only follow); a client that reads slower than it asked
is decimated further (its rate halves, and it is told), and one whose sends stall for
``STALL_S`` is dropped.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from cortexlink.core.errors import CortexlinkError
from cortexlink.serve.errors import ApiError
from cortexlink.serve.security import authenticate

__all__ = ["router", "MAX_RATE"]

router = APIRouter()
MAX_RATE = 120.0
AUTH_WAIT_S = 5.0
STALL_S = 2.0
LATE_TICKS = 10  # this many late sends in a row halve a client's rate
MIN_POLL_S = 0.004  # a shared feed reads its stream at most this often


class Feed:
    """One reader of a stream shared by every client watching it: it keeps the newest value, the
    running sum of each row and the sample count, so each client, at its own rate, sends the
    difference since its last message without reading the stream itself."""

    def __init__(self, tap: Any) -> None:
        self.tap = tap
        self.total = np.zeros(tap.spec.n_channels)
        self.samples = 0
        self.last: np.ndarray | None = None
        self.users = 0
        self._polled = 0.0

    def poll(self) -> None:
        """Read what was written since the last poll (at most every ``MIN_POLL_S``)."""
        now = time.monotonic()
        if now - self._polled < MIN_POLL_S:
            return
        self._polled = now
        chunks = self.tap.drain()
        if chunks:
            data = np.concatenate([c.data for c in chunks], axis=1) if len(chunks) > 1 else chunks[0].data
            self.total += data.sum(axis=1, dtype=np.float64)
            self.samples += int(data.shape[1])
            self.last = data[:, -1].astype(np.float64)


def _feed(state: Any, run: Any, gid: str, name: str) -> Feed:
    """The shared feed of ``name`` in graph ``gid`` (made on first use)."""
    feeds = state.feeds
    feed = feeds.get((gid, name))
    if feed is None:
        feed = feeds[(gid, name)] = Feed(run.tap(name))
    feed.users += 1
    return feed


def _release(state: Any, gid: str, name: str, feed: Feed) -> None:
    feed.users -= 1
    if feed.users <= 0 and state.feeds.get((gid, name)) is feed:
        del state.feeds[(gid, name)]
        feed.tap.close()


async def _close(ws: WebSocket, code: int, error: str, detail: str) -> None:
    ws.state.ws_result = f"{error}: {detail}"[:200]
    try:
        await ws.send_text(json.dumps({"error": error, "detail": detail}))
        await ws.close(code)
    except (WebSocketDisconnect, RuntimeError):
        pass


@router.websocket("/streams/{name}")
async def stream(ws: WebSocket, name: str, graph: str = "", rate: float = 30.0) -> None:
    await ws.accept()
    state = ws.app.state
    try:
        first = await asyncio.wait_for(ws.receive_text(), AUTH_WAIT_S)
        presented = json.loads(first).get("token") if first.startswith("{") else None
        token = authenticate(state.tokens, presented if isinstance(presented, str) else None)
    except (TimeoutError, ValueError, AttributeError):
        await _close(ws, 4401, "unauthorized", 'send {"token": "..."} first')
        return
    except ApiError as exc:
        ws.state.token_id = "-"
        await _close(ws, 4401, exc.error, exc.detail)
        return
    except WebSocketDisconnect:
        return
    ws.state.token_id = token.id
    if not token.allows("read"):
        await _close(ws, 4403, "forbidden", f"token {token.id!r} lacks the 'read' scope")
        return
    if not (np.isfinite(rate) and 0 < rate <= MAX_RATE):
        await _close(ws, 4422, "invalid_rate", f"rate is 0-{MAX_RATE:g} messages a second; got {rate}")
        return
    try:
        run = state.graphs.get(graph)
        feed = _feed(state, run, graph, name)
    except (ApiError, CortexlinkError) as exc:
        await _close(ws, 4404, getattr(exc, "error", "not_found"), str(getattr(exc, "detail", exc)))
        return
    ws.state.ws_result = "streamed"
    try:
        await _pump(ws, run, feed, name, rate)
    finally:
        _release(state, graph, name, feed)


async def _pump(ws: WebSocket, run: Any, feed: Feed, name: str, rate: float) -> None:
    period = 1.0 / rate
    late = 0
    next_at = time.monotonic()
    sent_total, sent_samples = feed.total.copy(), feed.samples
    while True:
        next_at += period
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        feed.poll()
        if feed.samples == sent_samples or feed.last is None:
            if not run.running:
                await _close(ws, 1000, "ended", f"the graph stopped: {run.reason}")
                ws.state.ws_result = "streamed; graph ended"
                return
            continue
        message = {
            "stream": name,
            "start": sent_samples,
            "samples": feed.samples - sent_samples,
            "last": np.round(feed.last, 4).tolist(),
            "sum": np.round(feed.total - sent_total, 4).tolist(),
        }
        sent_total, sent_samples = feed.total.copy(), feed.samples
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(ws.send_text(json.dumps(message)), STALL_S)
        except TimeoutError:
            ws.state.ws_result = f"dropped: a send stalled for {STALL_S:g} s"
            try:
                await ws.close(1013)
            except RuntimeError:
                pass
            return
        except (WebSocketDisconnect, RuntimeError, OSError):
            ws.state.ws_result = "client left"
            return
        late = late + 1 if time.monotonic() - t0 > period else 0
        if late >= LATE_TICKS:  # the client can't keep up: send half as often
            period, late = period * 2, 0
            next_at = time.monotonic()
            try:
                await ws.send_text(json.dumps({"decimated": round(1.0 / period, 3)}))
            except (WebSocketDisconnect, RuntimeError, OSError):
                return
