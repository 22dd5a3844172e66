"""The graphs a server runs: started from a graph name or a posted document (validated as
``cortexlink graph validate`` does), looked at, stopped, and emergency-stopped, by id."""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.serve.audit import AuditLog
from cortexlink.serve.config import ServeConfig
from cortexlink.serve.errors import ApiError

__all__ = ["GraphManager", "status_json"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
EVENTS_SHOWN = 100
STATUS_TTL_S = 0.2  # dashboards polling one graph's status share one encoding this fresh
STATES_AUDITED = ("NODE_WARNING", "NODE_DIED", "NODE_FATAL_ERROR", "NODE_RESTART")


class GraphManager:
    """Running graphs by id (``g1``, ``g2``, ...), at most ``config.max_graphs`` at once."""

    def __init__(self, config: ServeConfig, audit: AuditLog) -> None:
        from cortexlink.nodes import BUILTIN_NODES

        self.config, self.audit = config, audit
        self.registry = {**BUILTIN_NODES, **config.node_kinds}
        self.runs: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._status: dict[str, tuple[float, int, bytes]] = {}
        # graphs are started from this thread, made now: it (and the supervisor threads and node
        # processes it starts) keeps the priority the server started with, when the API's own
        # threads are made nicer (``yield_cpu``)
        self._launcher = ThreadPoolExecutor(1, thread_name_prefix="graph-launcher")
        self._launcher.submit(lambda: None).result()

    def yield_cpu(self) -> None:
        """Make the calling thread (the API's event loop) ``config.api_nice`` nicer than the graphs,
        so that on a busy machine dashboards and requests get the CPU after the graph's processes.
        Threads it makes later (request workers) inherit this; graphs start from the launcher."""
        import os

        if self.config.api_nice <= 0 or not hasattr(os, "setpriority"):
            return
        tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self.config.api_nice)
        except OSError:  # not allowed here: run at the same priority
            pass

    # -- which graph -------------------------------------------------------------------------------
    def graph_names(self) -> list[str]:
        return sorted(self._graph_files())

    def _graph_files(self) -> dict[str, Path]:
        from cortexlink.nodes import DEFAULT_GRAPH

        folders = [DEFAULT_GRAPH.parent] + ([self.config.graphs_dir] if self.config.graphs_dir else [])
        return {p.stem: p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*.yaml"))}

    def plan(self, name: str | None, document: dict[str, Any] | None, duration: float | None) -> Any:
        """The validated plan of a named graph or a posted graph document."""
        from cortexlink.graph.graphfile import parse_graph
        from cortexlink.graph.plan import load_plan, plan_graph
        from cortexlink.nodes.run import plan_for_run

        if (name is None) == (document is None):
            raise InvalidParameterError(
                "give either 'graph' (a graph name) or 'document' (a graph), not both"
            )
        if name is not None:
            files = self._graph_files()
            if not _NAME.match(name) or name not in files:
                raise ApiError(
                    404, "unknown_graph", f"no graph named {name!r}; graphs here: {', '.join(sorted(files))}"
                )
            if name == "default":  # a short run gets a calibration block scaled to it, as cortexlink run does
                return plan_for_run(None, duration)[0]
            return load_plan(files[name], self.registry)
        import yaml

        parsed = parse_graph(
            yaml.safe_dump(document, sort_keys=False), source="posted graph", base_dir=self.config.data_dir
        )
        if not self.config.allow_modules and any(n.module for n in parsed.nodes):
            raise ApiError(
                403,
                "forbidden",
                "a posted graph may not load node classes from files or "
                "modules ('module:'); use the built-in node kinds",
            )
        plan = plan_graph(parsed, self.registry)
        self._check_paths(plan)
        return plan

    def _check_paths(self, plan: Any) -> None:
        """Refuse a posted graph whose path settings name anything outside ``config.path_roots``
        (a recorder writing, or a node reading, elsewhere on the server's disk)."""
        import dataclasses

        from cortexlink.graph.loading import load_class
        from cortexlink.graph.settings import is_graph_path

        roots = [Path(r).resolve() for r in self.config.path_roots]
        for node in plan.nodes:
            settings = getattr(load_class(node.class_ref), "Settings", None)
            if not dataclasses.is_dataclass(settings):
                continue
            for f in dataclasses.fields(settings):
                if not is_graph_path(f):
                    continue
                value = node.parameters.get(f.name, None if f.default is dataclasses.MISSING else f.default)
                for item in value if isinstance(value, list | tuple) else [value]:
                    if isinstance(item, str) and item and not _under(Path(item), roots):
                        raise ApiError(
                            403,
                            "path_not_allowed",
                            f"node {node.nickname!r}: {f.name} = {item!r} is outside the folders a "
                            f"posted graph may use; give a path inside the server's data folder "
                            f"(relative paths are relative to it)",
                        )

    def encrypt_recordings(self, plan: Any) -> Any:
        """With ``config.encrypt``, every recorder of ``plan`` encrypts the file it exports, as
        uploaded models are encrypted at rest."""
        if self.config.encrypt:
            for node in plan.nodes:
                if node.kind == "recorder":
                    node.parameters.update(encrypt=True, key_file=_str(self.config.key_file))
        return plan

    # -- life --------------------------------------------------------------------------------------
    def start(self, name: str | None, document: dict[str, Any] | None, duration: float | None) -> str:
        from cortexlink.graph.background import BackgroundRun

        plan = self.encrypt_recordings(self.plan(name, document, duration))
        with self._lock:
            running = [gid for gid, r in self.runs.items() if r.running]
            if len(running) >= self.config.max_graphs:
                raise ApiError(
                    409,
                    "busy",
                    f"{len(running)} graphs are running ({', '.join(running)}), "
                    f"the most this server runs at once; stop one first",
                )
            gid = f"g{next(self._ids)}"
            run = BackgroundRun(plan, duration=duration, on_event=self._on_event(gid, plan))
            self.runs[gid] = run
        self._launcher.submit(run.start).result()
        return gid

    def _on_event(self, gid: str, plan: Any) -> Any:
        guards = {n.nickname for n in plan.nodes if n.kind == "safety"}

        def on_event(nick: str, state: str, message: str) -> None:
            if nick in guards or state in STATES_AUDITED:  # interventions and failures are audited
                self.audit.append(
                    token=f"graph:{gid}",
                    method="EVENT",
                    endpoint=f"/graphs/{gid}/{nick}",
                    params="",
                    status=0,
                    result=f"{state}: {message}"[:500],
                )

        return on_event

    def get(self, gid: str) -> Any:
        run = self.runs.get(gid)
        if run is None:
            raise ApiError(
                404, "unknown_graph_id", f"no graph {gid!r} on this server; GET /graphs lists them"
            )
        return run

    def status_bytes(self, gid: str) -> bytes:
        """``status_json`` of ``gid`` as JSON bytes, encoded at most once per ``STATUS_TTL_S`` while
        the graph runs and no node event came (ten dashboards polling it cost one encoding)."""
        import json

        run = self.get(gid)
        now, seen = time.monotonic(), len(run.events)  # a new event is shown at once
        hit = self._status.get(gid)
        if hit is not None and run.running and now - hit[0] < STATUS_TTL_S and hit[1] == seen:
            return hit[2]
        body = json.dumps(status_json(gid, run), separators=(",", ":")).encode()
        self._status[gid] = (now, seen, body)
        return body

    def stop(self, gid: str) -> Any:
        run = self.get(gid)
        run.stop("stopped over the API")
        return run

    def emergency_stop(self, gid: str) -> dict[str, Any]:
        from cortexlink.nodes.safety import emergency_stop

        run = self.get(gid)
        if not run.running:
            return {"safety_nodes": {}, "stopped": True, "note": "the graph was not running"}
        outcome = emergency_stop(run)
        self.audit.append(
            token=f"graph:{gid}",
            method="EVENT",
            endpoint=f"/graphs/{gid}",
            params="",
            status=0,
            result=f"emergency stop: {outcome['safety_nodes']}"[:500],
        )
        return outcome

    def stop_everything(self) -> dict[str, Any]:
        return {gid: self.emergency_stop(gid) for gid, run in list(self.runs.items()) if run.running}

    def close(self) -> None:
        for run in self.runs.values():
            if run.running:
                run.stop("server shutting down")
        self._launcher.shutdown(wait=False)


def _str(path: Path | None) -> str | None:
    return None if path is None else str(Path(path).resolve())


def _under(path: Path, roots: list[Path]) -> bool:
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def _us(h: Any, q: float) -> float | None:
    return None if not h.count else round(h.percentile(q) / 1e3, 1)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _histogram(h: Any) -> dict[str, list[float]]:
    """The e2e histogram as (bin lower edge in us, count) of its non-empty bins."""
    from cortexlink.graph.stats import PER_OCTAVE

    bins, counts, _ = h.sparse()
    return {"edges_us": [round(2.0 ** (b / PER_OCTAVE) / 1e3, 2) for b in bins], "counts": counts}


def status_json(gid: str, run: Any) -> dict[str, Any]:
    """What ``GET /graphs/{id}`` returns: node states, the latency table, drops, events."""
    nodes = []
    for st in run.status():
        e2e, proc, transit = st.histogram("e2e"), st.histogram("proc"), st.histogram("transit")
        nodes.append(
            {
                "nickname": st.nickname,
                "kind": st.plan.kind,
                "state": str(st.state),
                "restarts": st.restarts,
                "chunks_in": st.total_in(),
                "chunks_out": st.total_out(),
                "dropped": st.total_overruns(),
                "transit_p50_us": _us(transit, 50),
                "transit_p99_us": _us(transit, 99),
                "process_p50_us": _us(proc, 50),
                "process_p99_us": _us(proc, 99),
                "e2e_p50_us": _us(e2e, 50),
                "e2e_p99_us": _us(e2e, 99),
                "e2e_max_us": round(e2e.max_ns / 1e3, 1) if e2e.count else None,
                "e2e_histogram": _histogram(e2e),
                "cpu_percent": st.cpu_percent,
                "reports": dict(st.reports),
                "message": st.last_message,
            }
        )
    events = [
        {"t": round(t, 3), "node": nick, "state": str(state), "message": msg}
        for t, nick, state, msg in run.events[-EVENTS_SHOWN:]
    ]
    return _finite(
        {
            "id": gid,
            "graph": run.plan.source,
            "running": run.running,
            "reason": run.reason,
            "elapsed_s": round(time.time() - run.started_at, 2) if run.started_at else 0.0,
            "drops": sum(n["dropped"] for n in nodes),
            "nodes": nodes,
            "events": events,
            "streams": {
                name: {"channels": s.n_channels, "rate": s.sample_rate, "chunk": s.chunk_samples}
                for name, s in run.plan.streams.items()
            },
        }
    )
