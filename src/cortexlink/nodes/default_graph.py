"""The default closed-loop graph, and variants of it for tests and benchmarks.

``default_graph_text(decoder="gru", calibration_s=5, duration_s=10)`` returns the YAML of the
default graph with those parameters changed, ready for ``cortexlink.graph.graphfile.parse_graph``
or to be written to a file for ``cortexlink run``. ``fit_calibration(duration_s)`` is the
calibration block a run of that length gets, and why.
"""

from __future__ import annotations

from typing import Any

import yaml

from cortexlink.core.errors import InvalidParameterError
from cortexlink.nodes import DEFAULT_GRAPH

CALIBRATION_SHARE = 1 / 3   # of a short run, spent calibrating the decoder (open loop)
MIN_CALIBRATION_S = 3.0     # shorter blocks give a decoder that can't hold the cursor on target


def default_calibration_s() -> float:
    """The decoder's calibration block in the default graph as shipped."""
    graph = yaml.safe_load(DEFAULT_GRAPH.read_text())
    node = next(n for n in graph["nodes"] if n["nickname"] == "decoder")
    return float(node["parameters"]["calibration_s"])


def fit_calibration(duration_s: float | None) -> tuple[float | None, list[str]]:
    """``(calibration_s or None to keep the shipped block, notes)`` for a default-graph run of
    ``duration_s`` (None: the graph's own duration).

    The shipped block takes a third of the shipped 60 s run; a shorter run keeps that share, so
    that two thirds of it are closed-loop control, down to ``MIN_CALIBRATION_S``. A run too short
    for that is run as asked (its latency table still holds) and the notes say it has no closed loop.
    """
    shipped = default_calibration_s()
    if duration_s is None or duration_s * CALIBRATION_SHARE >= shipped:
        return None, []
    calibration = duration_s * CALIBRATION_SHARE
    if calibration < MIN_CALIBRATION_S:
        shortest = MIN_CALIBRATION_S / CALIBRATION_SHARE
        return None, [f"a {duration_s:g} s run is too short for closed-loop control: the decoder "
                      f"calibrates on at least {MIN_CALIBRATION_S:g} s of open-loop data, a third of the "
                      f"run, so give a duration of {shortest:g} s or more; this run measures latency only"]
    return calibration, [f"a {duration_s:g} s run: the decoder calibrates on the first {calibration:.1f} s "
                         f"(a third of the run; {shipped:g} s in runs of {shipped / CALIBRATION_SHARE:g} s "
                         "or more), then drives the cursor"]


def default_graph_text(*, decoder: str | None = None, decoder_params: dict[str, Any] | None = None,
                       model_path: str | None = None, calibration_s: float | None = None,
                       duration_s: float | None = None, chunk_ms: float | None = None,
                       rms_s: float | None = None, seed: int | None = None,
                       n_arrays: int | None = None) -> str:
    """The default graph's YAML with the given parameters replaced (None keeps the default).

    ``chunk_ms`` also sets the simulator's ``generate_ms`` when it is larger than 10 ms.
    """
    graph = yaml.safe_load(DEFAULT_GRAPH.read_text())
    nodes = {n["nickname"]: n for n in graph["nodes"]}

    def put(nick: str, key: str, value: Any) -> None:
        if value is not None:
            nodes[nick].setdefault("parameters", {})[key] = value

    if duration_s is not None:
        if not duration_s > 0:
            raise InvalidParameterError(f"duration_s must be positive, got {duration_s}")
        graph["metadata"]["duration_s"] = float(duration_s)
    put("decoder", "decoder", decoder)
    if decoder is not None and decoder_params is None:  # the default's params are its Kalman filter's
        nodes["decoder"]["parameters"].pop("params", None)
    put("decoder", "params", decoder_params)
    put("decoder", "model_path", model_path)
    put("decoder", "calibration_s", None if calibration_s is None else float(calibration_s))
    put("frontend", "rms_s", None if rms_s is None else float(rms_s))
    put("monkey", "seed", seed)
    put("monkey", "n_arrays", n_arrays)
    put("frontend", "groups", n_arrays)
    put("task", "seed", seed)
    if chunk_ms is not None:
        put("monkey", "chunk_ms", float(chunk_ms))
        put("monkey", "generate_ms", max(float(chunk_ms), nodes["monkey"]["parameters"]["generate_ms"]))
    return yaml.safe_dump(graph, sort_keys=False)
