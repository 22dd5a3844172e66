"""BRAND's Redis conventions, as cortexlink publishes them, so BRAND nodes and tools can join a run.

- ``supergraph_stream``: each entry's field ``data`` is JSON with BRAND's top-level keys
  (``redis_host``, ``redis_port``, ``brand_hash``, ``graph_name``, ``graph_loaded_ts``,
  ``derivatives``) and ``nodes`` keyed by nickname, each with BRAND's fields (``name``,
  ``nickname``, ``module``, ``machine``, ``run_priority``, ``cpu_affinity``, ``parameters``,
  ``binary``, ``git_hash``) plus cortexlink's ``inputs``/``outputs``; ``streams`` describes every
  cortexlink stream so any client can decode it (also kept per stream in ``<stream>_spec``).
- Supervisor replies: ``graph_status`` (``status``: initialized, running, parameters updated,
  stopped) and ``supervisor_status`` (``status``, ``command``, ``message``).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

import numpy as np

from cortexlink.core.streamspec import StreamSpec

__all__ = ["brand_supergraph", "stream_description", "SPEC_SUFFIX", "GRAPH_STATUS", "SUPERVISOR_STATUS",
           "HEADER_FIELDS", "HEADER_FORMAT"]

SPEC_SUFFIX = "_spec"
EXTERNAL_KIND = "external"  # the node kind that hosts a BRAND node (nodes/external.py)
GRAPH_STATUS = "graph_status"
SUPERVISOR_STATUS = "supervisor_status"
# the ``h`` field of a cortexlink entry: struct format and field names (see redis_transport.HEADER)
HEADER_FORMAT = "<qqqdqqqq"
HEADER_FIELDS = ("seq", "n_samples", "start_sample", "sample_rate", "origin_ns", "write_ns", "clock_id",
                 "clock_offset_ns")


def stream_description(spec: StreamSpec, writer: str | None = None) -> dict[str, Any]:
    """What a Redis client needs to decode a cortexlink stream without cortexlink's source."""
    return {
        "name": spec.name,
        "writer": writer,
        "n_channels": int(spec.n_channels),
        "dtype": np.dtype(spec.dtype).str,  # numpy's notation with byte order, e.g. "<i2"
        "sample_rate": float(spec.sample_rate),
        "chunk_samples": int(spec.chunk_samples),
        "layout": "channels x samples, C order: sample s of channel c is value c * n_samples + s",
        "fields": {
            "d": "the samples of one chunk (n_channels * n_samples values of dtype)",
            "h": f"64-byte header, struct {HEADER_FORMAT!r}: {', '.join(HEADER_FIELDS)}",
            "end": "present (value 1) on the entry that ends the stream; no h or d",
        },
        "header_format": HEADER_FORMAT,
        "header_fields": list(HEADER_FIELDS),
        "time": "origin_ns and write_ns are time.monotonic_ns() of the writer's machine; "
                "clock_offset_ns moves them onto the Redis server's clock",
    }


def brand_supergraph(plan: Any, url: str, *, graph_name: str | None = None, loaded_ns: int | None = None,
                     extra_nodes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``supergraph_stream`` entry for ``plan`` (a ``GraphPlan``) run on Redis at ``url``.

    ``extra_nodes`` overrides per nickname (e.g. an external BRAND node's ``binary`` and the
    parameters it reads).
    """
    parts = urlparse(url)
    extra = extra_nodes or {}
    nodes: dict[str, Any] = {}
    for node in plan.nodes:
        entry = {
            "name": node.kind,
            "nickname": node.nickname,
            "module": node.class_ref.rpartition(":")[0],
            "machine": node.machine or "",
            "run_priority": node.run_priority,
            "cpu_affinity": list(node.cpu_affinity) if node.cpu_affinity else None,
            "parameters": {"log": "INFO", **node.parameters},
            "binary": "",
            "git_hash": "",
            "inputs": {p: s.name for p, s in node.inputs.items()},
            "feedback": {p: s.name for p, s in node.feedback.items()},
            "outputs": {p: s.name for p, s in node.outputs.items()},
        }
        if node.kind == EXTERNAL_KIND:  # a BRAND node: it reads its own parameters, not the wrapper's
            hosted = node.parameters
            entry.update(parameters={"log": "INFO", **hosted.get("parameters", {})},
                         binary=str(hosted.get("binary", "")), module=str(hosted.get("module", "")))
        entry.update(extra.get(node.nickname, {}))
        nodes[node.nickname] = entry
    writers = {s.name: n.nickname for n in plan.nodes for s in n.outputs.values()}
    source = str(plan.source)
    return {
        "redis_host": parts.hostname or ("" if parts.scheme == "unix" else "localhost"),
        "redis_port": parts.port or (0 if parts.scheme == "unix" else 6379),
        "redis_socket": parts.path if parts.scheme == "unix" else "",
        "brand_hash": "",
        "graph_name": graph_name or (source.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "graph"),
        "graph_loaded_ts": loaded_ns if loaded_ns is not None else time.monotonic_ns(),
        "metadata": plan.metadata,
        "nodes": nodes,
        "derivatives": {},
        "streams": {name: stream_description(spec, writers.get(name)) for name, spec in plan.streams.items()},
    }

