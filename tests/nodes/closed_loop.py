"""The default graph's chain of nodes wired in one process, for tests: no runtime, no pacing."""

from __future__ import annotations

from typing import Any

import yaml

from cortexlink.nodes import DEFAULT_GRAPH
from cortexlink.nodes.binning import FeatureBinner
from cortexlink.nodes.cursor_task import CursorTaskNode
from cortexlink.nodes.decoder import DecoderNode
from cortexlink.nodes.signal import CommonAverage, Filter, SpikeBandPowerNode, ThresholdCrossingsNode
from cortexlink.nodes.sim_source import SimSource

from .helpers import make_node


def run_closed_loop(n_arrays: int, calibration_s: float, closed_loop_s: float, decoder: str = "kalman",
                    chunk_ms: float = 10.0, seed: int = 0,
                    params: dict[str, Any] | None = None) -> tuple[CursorTaskNode, DecoderNode]:
    """Calibrate, wait for the fit, run closed loop; returns the task and decoder nodes.

    ``params=None``: the default graph's decoder parameters for its decoder, none for another."""
    if params is None:
        params = _default_decoder_params() if decoder == "kalman" else {}
    total = calibration_s + 0.6 + closed_loop_s
    src = make_node(SimSource, {"n_arrays": n_arrays, "chunk_ms": chunk_ms, "generate_ms": chunk_ms,
                                "realtime": False, "duration_s": total, "seed": seed})
    raw = SimSource.describe_outputs(src.settings, {})["out"]

    def chain(cls: type, params: dict[str, Any], inputs: dict) -> tuple[Any, Any]:
        node = make_node(cls, params, inputs)
        return node, cls.describe_outputs(node.settings, inputs)

    filt, fo = chain(Filter, {}, {"in": raw})
    car, co = chain(CommonAverage, {"groups": n_arrays}, {"in": fo["out"]})
    tc, to = chain(ThresholdCrossingsNode, {"rms_s": 0.5}, {"in": co["out"]})
    sbp, so = chain(SpikeBandPowerNode, {"band": None}, {"in": co["out"]})
    fb, bo = chain(FeatureBinner, {}, {"crossings": to["out"], "power": so["out"]})
    dec, do = chain(DecoderNode, {"decoder": decoder, "calibration_s": calibration_s,
                                                   "params": params}, {"in": bo["out"]})
    task, _ = chain(CursorTaskNode, {"seed": seed}, {"in": do["out"]})
    for out in src.generate():
        if "behaviour" in out:  # what drove the simulator: the labels of the bins
            dec.context.set_latest("intended", out["behaviour"])
            task.context.set_latest("behaviour", out["behaviour"])
        x = {"in": car.process({"in": filt.process({"in": out["out"]})["out"]})["out"]}
        a, b = tc.process(x), sbp.process(x)
        feats = fb.process({"crossings": a["out"], "power": b["out"]}) if a and b else None
        if feats is None:
            continue
        decoded = dec.process({"in": feats["out"]})
        if dec._fit_thread is not None:
            dec._fit_thread.join()  # without pacing the fit would otherwise outlast the run
        fed = task.process({"in": decoded["out"]})
        src.context.set_latest("velocity", fed["intended"])
    task.shutdown()
    return task, dec


def _default_decoder_params() -> dict[str, Any]:
    graph = yaml.safe_load(DEFAULT_GRAPH.read_text())
    (node,) = [n for n in graph["nodes"] if n["nickname"] == "decoder"]
    return node["parameters"].get("params", {})
