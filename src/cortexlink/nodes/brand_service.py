"""BRAND's supervisor, served over Redis: graphs are loaded, started and stopped by commands on
``supervisor_ipstream``, as BRAND's tools send them, and every command is answered on
``supervisor_status`` (see ``cortexlink.graph.commands``).

Idle, it takes ``loadGraph`` / ``startGraph`` (with ``file``: a graph file's path, or ``graph``:
its YAML or JSON text), ``flushDb``, ``setDataDir``, ``saveRdb``, ``saveNwb`` and
``updateParameters``; while a graph runs, the supervisor answers (``stopGraph``,
``stopGraphAndSaveNWB``, ...). ``export_streams_nwb`` writes the streams a run left in Redis as
NWB files, decoding them only from what Redis holds (``<stream>_spec``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from cortexlink.core.errors import CortexlinkError, TransportError
from cortexlink.core.recording import Recording
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.brand import SPEC_SUFFIX, brand_supergraph
from cortexlink.graph.commands import CommandDesk, Exporter, canonical
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import GraphPlan, load_plan, plan_graph
from cortexlink.graph.redis_transport import RedisTransport, read_stream
from cortexlink.graph.supervisor import Supervisor
from cortexlink.nodes import BUILTIN_NODES

__all__ = ["serve_brand", "export_streams_nwb"]


def export_streams_nwb(url: str, streams: list[str], folder: Path) -> list[str]:
    """Each named stream still in Redis at ``url`` -> ``<folder>/<stream>.nwb`` (the ``Exporter`` the
    supervisor calls for ``saveNwb`` and ``stopGraphAndSaveNWB``); returns the files written."""
    from cortexlink.io import save_recording

    transport = RedisTransport(url)
    written = []
    try:
        for name in streams:
            raw = transport.client.get(f"{name}{SPEC_SUFFIX}")
            if raw is None:
                raise TransportError(f"stream {name!r} has no {name}{SPEC_SUFFIX} description in Redis")
            d = json.loads(raw)
            spec = StreamSpec(name, d["n_channels"], d["sample_rate"], d["dtype"], d["chunk_samples"])
            data, first = read_stream(transport.client, spec)
            rec = Recording(data, spec.sample_rate, t0=first / spec.sample_rate, site=name,
                            metadata={"stream": name, "writer": d.get("writer")})
            target = folder / f"{name}.nwb"
            save_recording(rec, target)
            written.append(str(target))
    finally:
        transport.close()
    return written


def _plan_of(entry: dict[str, str], registry: dict[str, str]) -> GraphPlan:
    if entry.get("file"):
        return load_plan(entry["file"], registry)
    if entry.get("graph"):
        return plan_graph(parse_graph(entry["graph"], source="<supervisor_ipstream graph>"), registry)
    raise CortexlinkError("give the graph as 'file' (a path) or 'graph' (YAML or JSON text)")


def serve_brand(redis_url: str, *, data_dir: str | Path = ".", registry: dict[str, str] | None = None,
                stop: Callable[[], bool] | None = None, poll_s: float = 0.05) -> None:
    """Answer BRAND supervisor commands at ``redis_url`` until ``stop()`` is true (default: forever)."""
    registry = registry if registry is not None else BUILTIN_NODES
    transport = RedisTransport(redis_url)
    exporter = export_streams_nwb
    desk = CommandDesk(transport, exporter, data_dir)
    transport.listen_from_now()
    transport.post_status("supervisor_status", {"status": "Listening for commands"})
    plan: GraphPlan | None = None
    try:
        while stop is None or not stop():
            for entry in transport.poll_commands():
                name = canonical(entry["commands"])
                try:
                    if name in ("loadGraph", "startGraph") and (entry.get("file") or entry.get("graph")
                                                                or name == "loadGraph"):
                        plan = _plan_of(entry, registry)
                        desk.publish(brand_supergraph(plan, redis_url))
                        desk.graph_status("initialized")
                    if name == "loadGraph":
                        desk.reply(name, True, f"loaded {plan.source}")
                    elif name == "startGraph":
                        if plan is None:
                            desk.reply(name, False, "no graph is loaded; send loadGraph or give 'file'")
                            continue
                        desk.reply(name, True, f"starting {plan.source}")
                        # the supervisor answered the commands sent during the run: go on after them
                        transport.command_cursor = _run(plan, redis_url, desk, exporter)
                    elif name == "flushDb":
                        transport.client.flushdb()
                        plan, desk.supergraph = None, None
                        desk.reply(name, True, "database flushed")
                    elif name in ("stopGraph", "stopGraphAndSaveNWB"):
                        desk.reply(name, False, "no graph is running")
                    else:
                        desk.handle_common(name, entry)
                except CortexlinkError as exc:
                    desk.reply(name or entry["commands"], False, str(exc))
            time.sleep(poll_s)
    finally:
        transport.close()


def _run(plan: GraphPlan, url: str, desk: CommandDesk, exporter: Exporter) -> bytes:
    """Run ``plan`` until stopped; the supervisor answers the commands meanwhile. Returns the id of
    the last command it read."""
    transport = RedisTransport(url)
    try:
        sup = Supervisor(plan, transport, exporter=exporter, data_dir=str(desk.data_dir),
                         supergraph=desk.supergraph)  # with parameters updated before the start
        sup.run()
        desk.supergraph, desk.data_dir = sup.desk.supergraph, sup.desk.data_dir
        return transport.command_cursor
    finally:
        transport.destroy()
