"""``WS /streams/{name}?graph=g1&rate=30``: a running graph's stream, decimated to the rate the
client asks for.

The first message from the client is ``{"token": "..."}`` (a browser can't set headers on a
WebSocket, and a token in the URL would end up in logs). Then, up to ``rate`` times a second, the
server sends ``{"stream", "count" (samples written since the stream was first watched), "last"
(newest value of each row), "total" (each row summed over those samples)}``. Both are running
totals, so a client gets the counts over any interval by subtracting two messages (spike counts),
and a message it never got loses nothing.

The fan-out costs the same for one dashboard or ten: every stream has one ``Feed``, a task that
wakes only at the ticks some client is due (rates are whole divisors of ``MAX_RATE``), reads the
graph's ring once, encodes one frame (JSON text) and hands that same text to each due client. A
client's sender keeps only the newest frame. A client whose last frame is not out when the next
is due is late (a frame still waiting is replaced by the newer one); one late ``LATE_TICKS``
times in a row gets half its rate (and is told), and one whose send stalls for ``STALL_S`` is
dropped. The graph never waits for a client: its processes write rings that the feed only follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from cortexlink.core.errors import CortexlinkError
from cortexlink.serve.errors import ApiError
from cortexlink.serve.security import authenticate

__all__ = ["router", "MAX_RATE", "Feed"]

router = APIRouter()
MAX_RATE = 120.0  # the feeds' tick: a client's rate is MAX_RATE / k for a whole k
AUTH_WAIT_S = 5.0
STALL_S = 2.0
LATE_TICKS = 10  # this many skipped frames in a row halve a client's rate


class Client:
    """One WebSocket's place in a feed: its tick divisor and the newest frame not yet sent."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.next_tick = 0  # the feed tick this client is due at next
        self.pending: str | None = None
        self.notice: str | None = None
        self.ended: tuple[int, str, str] | None = None
        self.late = 0
        self.sending = False
        self.ready = asyncio.Event()

    def offer(self, frame: str) -> None:
        """The newest frame for this client (replacing one it has not been sent yet)."""
        if self.sending or self.pending is not None:  # the last frame is not out yet
            self.late += 1
            if self.late >= LATE_TICKS:  # the client can't keep up: send half as often
                self.every, self.late = self.every * 2, 0
                self.notice = json.dumps({"decimated": round(MAX_RATE / self.every, 3)})
        else:
            self.late = 0
        self.pending = frame
        self.ready.set()

    def end(self, code: int, error: str, detail: str) -> None:
        self.ended = (code, error, detail)
        self.ready.set()


class Feed:
    """The one reader of a stream that every client watching it shares (see the module docstring)."""

    def __init__(self, tap: Any, run: Any, name: str) -> None:
        self.tap, self.run, self.name = tap, run, name
        self.total = np.zeros(tap.spec.n_channels)
        self.count = 0
        self.last: np.ndarray | None = None
        self.clients: set[Client] = set()
        self.frames = 0  # frames encoded (one per tick with new samples, however many clients)
        self.reads = 0  # drains of the ring
        self._wake: asyncio.Future | None = None
        self._task: asyncio.Task | None = None
        self._start = 0.0

    @property
    def users(self) -> int:
        return len(self.clients)

    def join(self, rate: float) -> Client:
        client = Client(max(1, round(MAX_RATE / rate)))
        if self._start:  # the feed runs: due at its next tick that is a multiple of the client's
            now = int((time.monotonic() - self._start) * MAX_RATE)
            client.next_tick = (now // client.every + 1) * client.every
        self.clients.add(client)
        self._changed()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())
        return client

    def leave(self, client: Client) -> None:
        self.clients.discard(client)
        self._changed()

    def _changed(self) -> None:
        if self._wake is not None:
            _resolve(self._wake, True)

    def read(self) -> bool:
        """Take what was written since the last read into the running totals; True if anything was."""
        self.reads += 1
        chunks = self.tap.drain()
        for chunk in chunks:
            self.total += chunk.data.sum(axis=1, dtype=np.float64)
            self.count += int(chunk.data.shape[1])
        if chunks:
            self.last = chunks[-1].data[:, -1].astype(np.float64)
        return bool(chunks)

    def frame(self) -> str:
        self.frames += 1
        return json.dumps(
            {
                "stream": self.name,
                "count": self.count,
                "last": np.round(self.last, 4).tolist(),
                "total": np.round(self.total, 4).tolist(),
            }
        )

    async def _loop(self) -> None:
        start = self._start = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            while self.clients:
                due = min(c.next_tick for c in self.clients)
                delay = start + due / MAX_RATE - time.monotonic()
                # sleep until the tick or until a client comes or goes (a future and a timer: no task
                # a tick); always yield, so that the clients' senders run even when this is late
                self._wake = loop.create_future()
                timer = loop.call_later(max(0.0, delay), _resolve, self._wake, False)
                changed = await self._wake
                timer.cancel()
                if changed:
                    continue  # work out the next tick again
                now = int((time.monotonic() - start) * MAX_RATE)
                fresh = self.read()
                ended = not fresh and not self.run.running
                text = self.frame() if fresh and self.last is not None else None
                for client in [c for c in self.clients if c.next_tick <= now]:
                    # a late tick is served once, and the next one is in the future: no burst
                    client.next_tick = (now // client.every + 1) * client.every
                    if ended:
                        client.end(1000, "ended", f"the graph stopped: {self.run.reason}")
                    elif text is not None:
                        client.offer(text)
                if ended:
                    return
        finally:
            self._task, self._start = None, 0.0


def _resolve(future: asyncio.Future, value: bool) -> None:
    if not future.done():
        future.set_result(value)


def _feed(state: Any, run: Any, gid: str, name: str) -> Feed:
    """The shared feed of ``name`` in graph ``gid`` (made on first use)."""
    feed = state.feeds.get((gid, name))
    if feed is None:
        feed = state.feeds[(gid, name)] = Feed(run.tap(name), run, name)
    return feed


def _release(state: Any, gid: str, name: str, feed: Feed, client: Client) -> None:
    feed.leave(client)
    if not feed.clients and state.feeds.get((gid, name)) is feed:
        del state.feeds[(gid, name)]
        feed.tap.close()


async def _close(ws: WebSocket, code: int, error: str, detail: str) -> None:
    ws.state.ws_result = f"{error}: {detail}"[:200]
    try:
        await ws.send_text(json.dumps({"error": error, "detail": detail}))
        await ws.close(code)
    except (WebSocketDisconnect, RuntimeError, OSError):
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
    client = feed.join(rate)
    try:
        await _send(ws, client)
    finally:
        _release(state, graph, name, feed, client)


async def _send(ws: WebSocket, client: Client) -> None:
    """Send the client's frames as its feed hands them over, until it ends, leaves or stalls."""
    while True:
        await client.ready.wait()
        client.ready.clear()
        if client.ended is not None:
            await _close(ws, *client.ended)
            ws.state.ws_result = "streamed; graph ended"
            return
        texts = [t for t in (client.notice, client.pending) if t is not None]
        client.notice = client.pending = None
        client.sending = True
        try:
            for text in texts:
                await asyncio.wait_for(ws.send_text(text), STALL_S)
        except TimeoutError:
            ws.state.ws_result = f"dropped: a send stalled for {STALL_S:g} s"
            with contextlib.suppress(RuntimeError, OSError):
                await ws.close(1013)
            return
        except (WebSocketDisconnect, RuntimeError, OSError):
            ws.state.ws_result = "client left"
            return
        finally:
            client.sending = False
