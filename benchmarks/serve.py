"""``cortexlink serve`` measured beside the usual tutorial endpoint, in one run.

1. ``POST /decode`` latency with 1, 16 and 64 concurrent clients (each sends its next request when
   the last one is answered), client-side p50/p99 and server-side p50/p99 (the server's own time
   on a request, parsing included, from its Server-Timing header), and the CPU time per request
   of the server process and of the load generator (httpx, or aiohttp with ``--client aiohttp``).
   Both servers run the same way (uvicorn, one worker, its own process, 127.0.0.1) on the same
   window (384 features x 10 bins, the default graph's feature count), encoded once:
     cortexlink serve (JSON) - bearer token, audit log, size limits, a Kalman filter decoder file
     cortexlink serve (npy)  - the same, the window as numpy.save bytes to /decode/npy
     tutorial                - FastAPI + a torch LSTM (128 units, random weights) on the window, no auth
   ``--only cost``: where a request's CPU goes inside the server (in-process ASGI calls).
2. The default closed-loop graph started through the API, in alternating 5 s segments without and
   with 10 dashboards (each: the cursor stream at 60 Hz, the crossings stream at 10 Hz and the
   status at 2 Hz; their load generator at nice 10): the graph's end-to-end latency (latency probe:
   sample acquired -> safe velocity), drops, messages delivered and the server's CPU.
   ``--only fanout``: the WebSocket fan-out alone in CPU time, beside a per-client reader+encoder.
3. A schemathesis run over the whole OpenAPI schema, with and without a token: requests, server
   errors (5xx) and schema violations.

    python benchmarks/serve.py                                       # full run
    python benchmarks/serve.py --quick                               # short run
    python benchmarks/serve.py --quick --only decode --client aiohttp
"""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

N_FEATURES, N_BINS = 384, 10
HIDDEN = 128
CLIENTS = (1, 16, 64)


# -- the servers (each started as its own process: this file with --role) --------------------------
def tutorial_app():
    """The usual tutorial: a FastAPI endpoint running a torch LSTM on the posted window."""
    import torch
    from fastapi import FastAPI
    from pydantic import BaseModel

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(N_FEATURES, HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, 2)
    app = FastAPI()
    app.middleware("http")(server_timing)

    class Window(BaseModel):
        features: list[list[float]]

    @app.post("/decode")
    def decode(window: Window) -> dict:
        t0 = time.perf_counter_ns()
        x = torch.tensor(window.features, dtype=torch.float32).T[None]
        with torch.no_grad():
            out, _ = lstm(x)
            v = head(out[:, -1])[0]
        return {"velocity": v.tolist(), "latency_us": (time.perf_counter_ns() - t0) / 1e3}

    return app


async def server_timing(request, call_next):
    """The tutorial server's Server-Timing header, measured as cortexlink serve measures its own."""
    t0 = time.perf_counter_ns()
    response = await call_next(request)
    response.headers["server-timing"] = f"app;dur={(time.perf_counter_ns() - t0) / 1e6:.3f}"
    return response


def ours_app(folder: Path):
    from cortexlink.serve import ServeConfig, create_app

    return create_app(ServeConfig(tokens=folder / "tokens.jsonl", data_dir=folder / "data"))


def serve_role(role: str, port: int, folder: Path) -> None:
    import uvicorn

    app = tutorial_app() if role == "tutorial" else ours_app(folder)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """This file run as ``--role ROLE`` in a child process, until ``stop()``."""

    def __init__(self, role: str, folder: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH")])
            ),
        }
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--role", role, "--port", str(self.port), "--folder", str(folder)],
            env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 120.0) -> None:
        import httpx

        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"server on {self.url} did not start")

    def cpu_s(self) -> float:
        """CPU seconds the server process has used (user + system, from /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# -- 1. /decode ---------------------------------------------------------------------------------------
async def _load(
    url: str, path: str, headers: dict, body: bytes, clients: int, total: int, client: str = "httpx"
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Each of ``clients`` sends ``body`` (encoded once, here) to ``path``, its next request when
    the last is answered, with ``client`` (httpx, or aiohttp: a C HTTP parser that costs the load
    generator less CPU a request). Returns client and server latencies (us), errors and the
    client's CPU seconds a request."""
    client_us, server_us, errors = [], [], 0
    per_client = max(1, total // clients)
    async with _http_client(client, url, headers, clients) as (post, failure):
        for _ in range(3):  # warm up (model load, first calls)
            await post(path, body)
        cpu0 = time.process_time()

        async def one_client() -> None:
            nonlocal errors
            for _ in range(per_client):
                t0 = time.perf_counter_ns()
                try:
                    status, timing = await post(path, body)
                except failure as exc:  # counted, and said once
                    errors += 1
                    if errors == 1:
                        print(f"  first error: {type(exc).__name__}: {exc}", flush=True)
                    continue
                client_us.append((time.perf_counter_ns() - t0) / 1e3)
                if status != 200:
                    errors += 1
                    continue
                server_us.append(float(timing.split("dur=")[1]) * 1e3)

        await asyncio.gather(*(one_client() for _ in range(clients)))
        cpu = (time.process_time() - cpu0) / max(1, len(client_us))
    return np.array(client_us), np.array(server_us), errors, cpu


@contextlib.asynccontextmanager
async def _http_client(client: str, url: str, headers: dict, connections: int):
    """``(post(path, body) -> (status, server-timing header), the client's error type)``."""
    if client == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:

            async def post(path: str, body: bytes) -> tuple[int, str]:
                async with http.post(path, data=body) as r:
                    await r.read()
                    return r.status, r.headers.get("server-timing", "")

            yield post, aiohttp.ClientError
        return
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:

        async def post(path: str, body: bytes) -> tuple[int, str]:
            r = await http.post(path, content=body)
            return r.status_code, r.headers.get("server-timing", "")

        yield post, httpx.HTTPError


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def bench_decode(folder: Path, token: str, total: int, client: str = "httpx") -> list[dict]:
    window = np.random.default_rng(0).poisson(2.0, size=(N_FEATURES, N_BINS)).astype(float)
    as_json = {"features": window.tolist()}
    auth = {"Authorization": f"Bearer {token}"}
    # (system, server role, path, headers, body): bodies are encoded once, not per request
    systems = [
        ("cortexlink serve (JSON)", "ours", "/decode", {**auth, "Content-Type": "application/json"},
         json.dumps({**as_json, "model": "kalman.npz"}).encode()),
        ("cortexlink serve (npy)", "ours", "/decode/npy?model=kalman.npz",
         {**auth, "Content-Type": "application/x-npy"}, _npy(window.astype(np.float32))),
        ("tutorial (FastAPI+LSTM)", "tutorial", "/decode", {"Content-Type": "application/json"},
         json.dumps(as_json).encode()),
    ]
    rows = []
    for role in ("ours", "tutorial"):
        server = Server(role, folder)
        try:
            server.wait()
            for system, _, path, headers, body in [x for x in systems if x[1] == role]:
                for clients in CLIENTS:
                    cpu0 = server.cpu_s()
                    c, s, errors, client_cpu = asyncio.run(
                        _load(server.url, path, headers, body, clients, total, client)
                    )
                    server_cpu = (server.cpu_s() - cpu0) / max(1, len(c) + 3)
                    rows.append(
                        {
                            "system": system,
                            "clients": clients,
                            "requests": len(c),
                            "errors": errors,
                            "client_p50": np.percentile(c, 50),
                            "client_p99": np.percentile(c, 99),
                            "server_p50": np.percentile(s, 50) if len(s) else float("nan"),
                            "server_p99": np.percentile(s, 99) if len(s) else float("nan"),
                            "server_cpu": server_cpu * 1e6,
                            "client_cpu": client_cpu * 1e6,
                        }
                    )
                    print(f"  {system}, {clients} clients: done", flush=True)
        finally:
            server.stop()
    return rows


# -- 1b. where a /decode request's CPU goes, in-process (no network, no load generator) ---------------
def bench_cost(folder: Path, token: str, n: int) -> list[tuple[str, float]]:
    """CPU time (us) of whole requests through the app (an ASGI call: middleware, auth, audit,
    routing, parsing, decoding, response), JSON against npy, and of the JSON path's parts."""

    from pydantic import BaseModel, Field

    from cortexlink.decode import load_decoder

    app = ours_app(folder)
    window = np.random.default_rng(0).poisson(2.0, size=(N_FEATURES, N_BINS)).astype(float)
    as_json = json.dumps({"model": "kalman.npz", "features": window.tolist()}).encode()
    as_npy = _npy(window.astype(np.float32))

    async def call(path: str, query: bytes, body: bytes, ctype: bytes) -> None:
        headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", ctype),
                   (b"content-length", str(len(body)).encode())]
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
                 "query_string": query, "headers": headers, "http_version": "1.1", "scheme": "http",
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": "", "app": app}
        status = []

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"{path} answered {status}")

    async def whole(args: tuple) -> float:
        for _ in range(20):
            await call(*args)
        t0 = time.process_time()
        for _ in range(n):
            await call(*args)
        return (time.process_time() - t0) / n * 1e6

    def cpu(f) -> float:
        t0 = time.process_time()
        for _ in range(n):
            f()
        return (time.process_time() - t0) / n * 1e6

    class Window(BaseModel):
        model: str
        features: list[list[float]] = Field(..., min_length=1, max_length=4096)

    decoder = load_decoder(folder / "data/models/kalman.npz")
    loads = cpu(lambda: json.loads(as_json))
    return [
        ("POST /decode (JSON), whole request",
         asyncio.run(whole(("/decode", b"", as_json, b"application/json")))),
        ("POST /decode/npy, whole request",
         asyncio.run(whole(("/decode/npy", b"model=kalman.npz", as_npy, b"application/x-npy")))),
        ("  json.loads of the JSON body", loads),
        ("  pydantic validation of list[list[float]]",
         cpu(lambda: Window.model_validate(json.loads(as_json))) - loads),
        ("  numpy array from the lists", cpu(lambda: np.asarray(window.tolist(), dtype=np.float64))),
        ("  decoder.predict (Kalman, 384 x 10)", cpu(lambda: decoder.predict(window))),
        ("  a client's json.dumps of the window", cpu(lambda: json.dumps({"features": window.tolist()}))),
    ]


# -- 2. dashboards while the default graph runs --------------------------------------------------------
async def _dashboards(url: str, token: str, gid: str, n: int, seconds: float) -> dict:
    import httpx
    import websockets

    counts = {"messages": 0, "status": 0}
    ws_url = url.replace("http", "ws")
    end = time.monotonic() + seconds

    async def stream(name: str, rate: int) -> None:
        async with websockets.connect(f"{ws_url}/streams/{name}?graph={gid}&rate={rate}") as ws:
            await ws.send(json.dumps({"token": token}))
            while time.monotonic() < end:
                try:
                    await asyncio.wait_for(ws.recv(), max(0.01, end - time.monotonic()))
                    counts["messages"] += 1
                except TimeoutError:
                    break

    async def status(http: httpx.AsyncClient) -> None:
        while time.monotonic() < end:
            await http.get(f"/graphs/{gid}")
            counts["status"] += 1
            await asyncio.sleep(0.5)

    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        tasks = []
        for _ in range(n):
            tasks += [stream("cursor", 60), stream("crossings", 10), status(http)]
        await asyncio.gather(*tasks)
    return counts


SEGMENT_S = 5.0  # the dashboards come and go in segments this long, in one run of the graph
CLIENT_NICE = 10  # the dashboards' load generator's niceness


def _e2e(status: dict) -> tuple[dict[float, int], int, int]:
    """The probe's cumulative e2e histogram (bin lower edge us -> count), chunks and the drops."""
    node = next(n for n in status["nodes"] if n["nickname"] == "e2e")
    h = node["e2e_histogram"]
    return dict(zip(h["edges_us"], h["counts"], strict=True)), node["chunks_in"], status["drops"]


def _percentile(hist: dict[float, int], q: float) -> float:
    """The q-th percentile of a histogram (the geometric centre of its bin, as the runtime reports)."""
    edges = sorted(e for e, c in hist.items() if c > 0)
    if not edges:
        return float("nan")
    cum = np.cumsum([hist[e] for e in edges])
    return edges[int(np.searchsorted(cum, max(1.0, q / 100 * cum[-1])))] * 2 ** (0.5 / 16)


def bench_dashboards(folder: Path, token: str, seconds: float, n_dashboards: int = 10) -> list[dict]:
    """One run of the default graph in closed loop, in alternating segments without and with
    ``n_dashboards`` dashboards (``seconds`` of each in all): the machine's drift hits both alike,
    where separate runs before and after each other would compare different moments."""
    import httpx
    import yaml

    from cortexlink.nodes.default_graph import default_graph_text

    calibration = 3.0
    document = yaml.safe_load(default_graph_text(calibration_s=calibration))
    pairs = max(1, round(seconds / SEGMENT_S))
    server = Server("ours", folder)
    headers = {"Authorization": f"Bearer {token}"}
    totals = {
        n: {"hist": {}, "chunks": 0, "drops": 0, "messages": 0, "status": 0, "server": 0.0, "client": 0.0}
        for n in (0, n_dashboards)
    }
    try:
        server.wait()
        # the dashboards stand for browsers on other machines: their load generator runs nicer than
        # the graph and the server (on Linux a thread's niceness; the server was started already)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CLIENT_NICE)
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            r = http.post("/graphs", json={"document": document, "duration_s": 2 * seconds + 60}, timeout=180)
            gid = r.json()["id"]
            end = time.monotonic() + 180  # on a busy machine nodes take long to start: wait for data
            while _e2e(http.get(f"/graphs/{gid}").json())[1] == 0 and time.monotonic() < end:
                time.sleep(0.5)
            time.sleep(calibration + 3.0)  # into closed loop
            before = _e2e(http.get(f"/graphs/{gid}").json())
            for i in range(2 * pairs):
                n = n_dashboards if i % 2 else 0
                cpu0, client0 = server.cpu_s(), time.process_time()
                if n:
                    counts = asyncio.run(_dashboards(server.url, token, gid, n, SEGMENT_S))
                else:
                    time.sleep(SEGMENT_S)
                    counts = {"messages": 0, "status": 0}
                t = totals[n]
                t["server"] += server.cpu_s() - cpu0
                t["client"] += time.process_time() - client0
                after = _e2e(http.get(f"/graphs/{gid}").json())
                for edge, count in after[0].items():
                    t["hist"][edge] = t["hist"].get(edge, 0) + count - before[0].get(edge, 0)
                t["chunks"] += after[1] - before[1]
                t["drops"] += after[2] - before[2]
                t["messages"] += counts["messages"]
                t["status"] += counts["status"]
                before = after
            final = http.delete(f"/graphs/{gid}").json()
        watchdog = sum(1 for e in final["events"] if "watchdog" in e["message"])
        print(f"  {pairs} pairs of {SEGMENT_S:g} s segments: done", flush=True)
    finally:
        server.stop()
    measured = pairs * SEGMENT_S
    return [
        {
            "dashboards": n,
            "e2e_p50": _percentile(t["hist"], 50),
            "e2e_p99": _percentile(t["hist"], 99),
            "chunks": t["chunks"],
            "drops": t["drops"],
            "messages": t["messages"],
            "status": t["status"],
            "interventions": watchdog,
            "server_cpu": 100 * t["server"] / measured,
            "client_cpu": 100 * t["client"] / measured,
        }
        for n, t in totals.items()
    ]


# -- 2b. the fan-out alone, in CPU time -----------------------------------------------------------------
FANOUT_STREAMS = (("cursor", 9, 60.0), ("crossings", N_FEATURES, 10.0))  # stream, rows, dashboard rate


class SyntheticTap:
    """A stream written at 50 chunks a second (one 20 ms bin each), read as a ring reader is."""

    def __init__(self, rows: int) -> None:
        from types import SimpleNamespace

        self.spec = SimpleNamespace(n_channels=rows)
        self.block = np.random.default_rng(rows).poisson(1.0, (rows, 1)).astype(np.float32)
        self.t0, self.read = time.monotonic(), 0

    def drain(self) -> list:
        from cortexlink.core.chunk import Chunk

        due = int((time.monotonic() - self.t0) * 50)
        out = [Chunk(self.block, i, 50.0, 0) for i in range(self.read, due)]
        self.read = due
        return out

    def close(self) -> None:
        pass


async def _send(text: str) -> None:
    """Stands for a WebSocket send, with the stall bound a server puts on it."""
    await asyncio.wait_for(asyncio.sleep(0), 2.0)


async def _fanout_ours(n: int, seconds: float) -> int:
    """Our feeds: one reader and one encoding per stream and tick, handed to every client."""
    from types import SimpleNamespace

    from cortexlink.serve.streams import Feed

    sent = 0

    async def sender(client) -> None:
        nonlocal sent
        while True:
            await client.ready.wait()
            client.ready.clear()
            if client.ended is not None:
                return
            if client.pending is not None:
                text, client.pending = client.pending, None
                await _send(text)
                sent += 1

    run = SimpleNamespace(running=True, reason="")
    clients = []
    for name, rows, rate in FANOUT_STREAMS:
        feed = Feed(SyntheticTap(rows), run, name)
        clients += [(feed, feed.join(rate)) for _ in range(n)]
    tasks = [asyncio.create_task(sender(c)) for _, c in clients]
    await asyncio.sleep(seconds)
    for feed, client in clients:
        client.end(1000, "ended", "")
        feed.leave(client)
    await asyncio.gather(*tasks)
    return sent


async def _fanout_naive(n: int, seconds: float) -> int:
    """The usual way: each client polls its own reader of the stream and encodes its own message."""
    sent = 0
    end = time.monotonic() + seconds

    async def client(name: str, rows: int, rate: float) -> None:
        nonlocal sent
        tap, total, count = SyntheticTap(rows), np.zeros(rows), 0
        while time.monotonic() < end:
            await asyncio.sleep(1.0 / rate)
            chunks = tap.drain()
            if not chunks:
                continue
            for c in chunks:
                total += c.data.sum(axis=1, dtype=np.float64)
                count += c.data.shape[1]
            last = chunks[-1].data[:, -1].astype(np.float64)
            await _send(json.dumps({"stream": name, "count": count, "last": np.round(last, 4).tolist(),
                                    "total": np.round(total, 4).tolist()}))
            sent += 1

    await asyncio.gather(*(client(*s) for s in FANOUT_STREAMS for _ in range(n)))
    return sent


def bench_fanout(seconds: float, n: int = 10) -> list[dict]:
    import cortexlink.serve.streams  # noqa: F401  (imported before the clock starts)

    rows = []
    for system, fn in (("cortexlink feeds", _fanout_ours), ("per-client reader+encode", _fanout_naive)):
        cpu0 = time.process_time()
        sent = asyncio.run(fn(n, seconds))
        cpu = time.process_time() - cpu0
        rows.append({"system": system, "messages": sent, "cpu_pct": 100 * cpu / seconds,
                     "cpu_per_msg": cpu * 1e6 / max(1, sent)})
    return rows


# -- 3. fuzz ------------------------------------------------------------------------------------------
def bench_fuzz(folder: Path, token: str, examples: int) -> dict:
    from cortexlink.serve.fuzz import fuzz_app

    t0 = time.monotonic()
    counts = fuzz_app(ours_app(folder), token, max_examples=examples)
    return {
        "operations": counts.operations,
        "requests": counts.requests,
        "server_errors": counts.server_errors,
        "violations": counts.violations,
        "statuses": dict(sorted(counts.statuses.items())),
        "seconds": time.monotonic() - t0,
        "failures": counts.failures,
    }


# -- report -------------------------------------------------------------------------------------------
def _f(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer requests, shorter graph runs, fewer fuzz cases"
    )
    parser.add_argument("--only", choices=("decode", "cost", "dashboards", "fanout", "fuzz"), default=None)
    parser.add_argument(
        "--client", choices=("httpx", "aiohttp"), default="httpx",
        help="the /decode load generator (aiohttp's C parser costs less CPU a request)",
    )
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        serve_role(args.role, args.port, Path(args.folder))
        return
    from cortexlink.decode import make_decoder
    from cortexlink.serve.tokens import add_token

    folder = Path(tempfile.mkdtemp(prefix="cortexlink-bench-serve-"))
    token = add_token(folder / "tokens.jsonl", "bench", ["admin"])
    (folder / "data" / "models").mkdir(parents=True)
    rng = np.random.default_rng(1)
    X = rng.poisson(2.0, size=(N_FEATURES, 3000)).astype(float)
    make_decoder("kalman").fit(X, rng.normal(size=(2, N_FEATURES)) @ X / 100).save(
        folder / "data/models/kalman.npz"
    )
    total = 400 if args.quick else 2000
    seconds = 15.0 if args.quick else 40.0
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)

    if args.only in (None, "decode"):
        rows = bench_decode(folder, token, total, args.client)
        print(f"\nPOST /decode, {N_FEATURES} features x {N_BINS} bins, {total} requests per level (us)")
        print(
            f"{'system':26} {'clients':>7} {'client p50':>10} {'p99':>9} {'server p50':>10} {'p99':>8} "
            f"{'srv cpu/req':>11} {'cli cpu/req':>11} {'errors':>6} {'p99 vs tutorial':>15}"
        )
        tut = {r["clients"]: r for r in rows if r["system"].startswith("tutorial")}
        for r in rows:
            ratio = tut[r["clients"]]["client_p99"] / r["client_p99"] if r["client_p99"] else float("nan")
            print(
                f"{r['system']:26} {r['clients']:>7} {_f(r['client_p50']):>10} {_f(r['client_p99']):>9} "
                f"{_f(r['server_p50']):>10} {_f(r['server_p99']):>8} {_f(r['server_cpu']):>11} "
                f"{_f(r['client_cpu']):>11} {r['errors']:>6} "
                f"{(f'{ratio:.2f}x faster' if not r['system'].startswith('tutorial') else ''):>15}"
            )
        print("srv cpu/req: the server process's CPU time per request (user + system); cli cpu/req: the")
        print(f"load generator's ({args.client}). Both are fairer than wall-clock latency on a busy machine.")
    if args.only in (None, "cost"):
        parts = bench_cost(folder, token, 200 if args.quick else 1000)
        print("\nCPU time of a /decode request inside the server (in-process ASGI calls; us)")
        for name, us in parts:
            print(f"{name:48} {us:8,.0f}")
    if args.only in (None, "dashboards"):
        rows = bench_dashboards(folder, token, seconds)
        print(
            f"\ndefault graph in closed loop, {seconds:g} s without and {seconds:g} s with 10 dashboards "
            f"(cursor 60 Hz + crossings 10 Hz + status 2 Hz each), alternating {SEGMENT_S:g} s segments"
        )
        print(
            f"{'dashboards':>10} {'e2e p50 us':>10} {'e2e p99 us':>10} {'chunks':>7} {'drops':>6} "
            f"{'ws messages':>11} {'status GETs':>11} {'server cpu %':>12} {'clients cpu %':>13}"
        )
        for r in rows:
            print(
                f"{r['dashboards']:>10} {_f(r['e2e_p50']):>10} {_f(r['e2e_p99']):>10} {r['chunks']:>7} "
                f"{r['drops']:>6} {r['messages']:>11} {r['status']:>11} "
                f"{r['server_cpu']:>12.1f} {r['client_cpu']:>13.1f}"
            )
        print(f"watchdog events in the run: {rows[0]['interventions']}")
        print("server cpu %: the API process (its graph's nodes are other processes); clients cpu %: the")
        print(f"dashboards' load generator (websockets + httpx, at nice {CLIENT_NICE}) on this machine.")
        if rows[1]["messages"]:
            extra = (rows[1]["server_cpu"] - rows[0]["server_cpu"]) / 100 * seconds
            print(
                f"the server's extra CPU with the dashboards: {extra * 1e6 / rows[1]['messages']:,.0f} us "
                f"per WebSocket message delivered (status GETs included)"
            )
        if rows[0]["e2e_p99"]:
            print(f"p99 with dashboards / without: {rows[1]['e2e_p99'] / rows[0]['e2e_p99']:.2f}")
    if args.only in (None, "fanout"):
        rows = bench_fanout(5.0 if args.quick else 20.0)
        print(
            "\nWebSocket fan-out alone, in one process: 10 dashboards x ("
            + ", ".join(f"{n} {r:g} Hz" for n, _, r in FANOUT_STREAMS)
            + "), synthetic streams at 50 chunks/s, sends not included (CPU time, not wall clock)"
        )
        print(f"{'system':26} {'messages':>9} {'cpu % of a core':>15} {'cpu us/message':>14}")
        for r in rows:
            print(f"{r['system']:26} {r['messages']:>9} {r['cpu_pct']:>15.1f} {r['cpu_per_msg']:>14.1f}")
    if args.only in (None, "fuzz"):
        f = bench_fuzz(folder, token, 5 if args.quick else 25)
        print(
            f"\nschemathesis over the OpenAPI schema ({f['seconds']:.0f} s): {f['operations']} operations, "
            f"{f['requests']} requests (with and without a token), {f['server_errors']} server errors (5xx), "
            f"{f['violations']} schema violations; statuses {f['statuses']}"
        )
        for line in f["failures"]:
            print("  " + line)


if __name__ == "__main__":
    main()
