"""End-to-end latency of the default closed-loop graph with a GRU decoder, and the CPU of its nodes.

    python benchmarks/latency_graph.py [--seconds 60] [--calibration 10]

The figure asked for is from the last sample of a bin to the decoder's output. Each bin carries
the ``origin_ns`` of its last input chunk (acquisition time at the simulator), so a probe node
reading the decoder's output measures that span plus one more hop (the probe's own wake-up): a
slightly pessimistic figure. Only bins decoded after calibration (``live``) count; the GRU is fitted
with few epochs because the figure is the latency of decoding, not the quality of the fit.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cortexlink.graph import Node


def _us(ns: float) -> str:
    return f"{ns / 1e3:.0f}" if np.isfinite(ns) else "-"


FIRST = 20  # the first live bins, reported apart: a decoder's first steps used to be slow


class LiveLatencyProbe(Node):
    """Latency of decoded bins once the decoder is live (row 2 of ``decoded`` is 1): the bin's
    ``origin_ns`` (its last input sample's acquisition) to this node's receipt of the velocity."""

    kind = "live_latency_probe"
    outputs = ()

    def setup(self) -> None:
        self.live = np.zeros(1_000_000, np.int64)
        self.n = 0

    def process(self, inputs):
        chunk = inputs["in"]
        lat = time.monotonic_ns() - chunk.origin_ns
        if chunk.data[2, -1] > 0.5 and self.n < self.live.size:
            self.live[self.n] = lat
            self.n += 1
        return None

    def shutdown(self) -> None:
        if self.n:
            p50, p99 = np.percentile(self.live[:self.n], [50, 99])
            self.context.report({"live_bins": self.n, "p50_us": p50 / 1e3, "p99_us": p99 / 1e3,
                                 "max_us": self.live[:self.n].max() / 1e3,
                                 "first_max_us": self.live[:min(self.n, FIRST)].max() / 1e3})
        else:
            self.context.report({"live_bins": 0})


def default_graph_e2e(seconds: float, calibration_s: float, decoder: str = "gru", rt_priority: int = 0,
                      layout: str = "shipped"):
    """Run the default graph with ``decoder`` over shm; returns the ``RunReport``.

    With ``rt_priority`` every node runs at that SCHED_FIFO priority. A decoder fitting on a
    background thread at FIFO priority would hold a core for the whole fit, so the decoder is then
    calibrated first in a normal-priority run and loaded from its file in the measured run.
    """
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / f"{decoder}.safetensors"
        decoder_params = {"decoder": decoder, "calibration_s": calibration_s,
                          "params": {"epochs": 3, "patience": 1}}
        if rt_priority:
            print("  calibrating the decoder first (normal priority) ...", flush=True)
            _run(Path(tmp), {**decoder_params, "save_path": str(model)}, 0, 600.0, layout, stop_when=model)
            if not model.exists():
                raise RuntimeError("the calibration run saved no decoder")
            decoder_params = {"decoder": decoder, "model_path": str(model)}
        return _run(Path(tmp), decoder_params, rt_priority, seconds, layout)


def _relayout(nodes: list[dict], layout: str) -> list[dict]:
    """The graph's nodes as shipped, or (``split``) one node per stage, as BRAND's graphs have them:
    ``spike_features`` as filter -> car -> threshold_crossings + spike_band_power, and
    ``binned_decoder`` as feature_binner -> decoder."""
    if layout != "split":
        return nodes
    out = []
    for node in nodes:
        params = dict(node.get("parameters", {}))
        if node["name"] == "spike_features":
            raw, ports = node["inputs"]["in"], node["outputs"]
            filt = {k: params.pop(k) for k in ("low", "high", "order") if k in params}
            car = {"groups": params.pop("groups", 1), "mode": params.pop("car_mode", "mean"),
                   "exclude": params.pop("exclude", [])}
            bin_ms = params.pop("bin_ms", 1.0)
            out += [{"name": "filter", "nickname": "bandpass", "parameters": filt, "inputs": {"in": raw},
                     "outputs": {"out": "filtered"}},
                    {"name": "car", "nickname": "reref", "parameters": car, "inputs": {"in": "filtered"},
                     "outputs": {"out": "referenced"}},
                    {"name": "threshold_crossings", "nickname": "crossings",
                     "parameters": {**params, "bin_ms": bin_ms}, "inputs": {"in": "referenced"},
                     "outputs": {"out": ports["crossings"]}},
                    {"name": "spike_band_power", "nickname": "sbp",
                     "parameters": {"band": None, "bin_ms": bin_ms}, "inputs": {"in": "referenced"},
                     "outputs": {"out": ports["power"]}}]
        elif node["name"] == "binned_decoder":
            binner = {"name": "feature_binner", "nickname": "binner",
                      "parameters": {"bin_ms": params.pop("bin_ms", 10.0)}, "inputs": dict(node["inputs"]),
                      "outputs": {"out": node["outputs"]["features"]}}
            out += [binner, {**node, "name": "decoder", "parameters": params,
                             "inputs": {"in": node["outputs"]["features"]},
                             "outputs": {"out": node["outputs"]["out"]}}]
        else:
            out.append(node)
    return out


def _run(tmp, decoder_params: dict, rt_priority: int, seconds: float, layout: str = "shipped",
         stop_when=None):
    import yaml

    from cortexlink.nodes import DEFAULT_GRAPH
    from cortexlink.nodes.run import run

    doc = yaml.safe_load(DEFAULT_GRAPH.read_text())
    doc["nodes"] = _relayout(doc["nodes"], layout)
    for node in doc["nodes"]:
        if node["name"] in ("decoder", "binned_decoder"):
            keep = {"bin_ms": node["parameters"]["bin_ms"]} if "bin_ms" in node.get("parameters", {}) else {}
            node["parameters"] = {**decoder_params, **keep}
            node["heartbeat_timeout"] = 120.0
        if rt_priority:  # the graph's own run_priority key
            node["run_priority"] = rt_priority
    doc["nodes"].append({"name": "LiveLatencyProbe", "module": str(Path(__file__).resolve()),
                         "nickname": "live_probe", "inputs": {"in": "decoded"},
                         **({"run_priority": rt_priority} if rt_priority else {})})
    path = tmp / "graph.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    seen = {"size": -1, "since": 0.0}

    def tick(nodes, elapsed):  # stop once the saved decoder's file has stopped growing for 1 s
        if stop_when is None or not stop_when.exists():
            return None
        size = stop_when.stat().st_size
        if size != seen["size"]:
            seen.update(size=size, since=elapsed)
        elif elapsed - seen["since"] > 1.0:
            return "decoder saved"
        return None

    # PM QoS is the caller's (latency.py holds it for the whole comparison)
    return run(path, transport="shm", duration=seconds, pm_qos=False, on_tick=tick)


def print_graph_result(result, decoder: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"default graph, {decoder} decoder, shm: per-node e2e latency (us, all bins), CPU%",
                  title_justify="left")
    for col in ("node", "kind", "chunks in", "dropped", "process p50", "process p99", "e2e p50", "e2e p99",
                "e2e max", "CPU%"):
        table.add_column(col, justify="left" if col in ("node", "kind") else "right")
    for st in result.nodes:
        h, proc = st.histogram("e2e"), st.histogram("proc")
        table.add_row(st.nickname, st.plan.kind, str(st.total_in()), str(st.total_overruns()),
                      _us(proc.percentile(50)), _us(proc.percentile(99)),
                      _us(h.percentile(50)), _us(h.percentile(99)),
                      _us(h.max_ns if h.count else float("nan")), f"{st.cpu_percent:.1f}")
    Console(width=160).print(table)
    probe = next(st for st in result.nodes if st.nickname == "live_probe").reports
    if probe.get("live_bins"):
        print(f"last sample of a bin -> decoded velocity received downstream, {probe['live_bins']} live "
              f"{decoder} bins: p50 {probe['p50_us']:.0f} us, p99 {probe['p99_us']:.0f} us, "
              f"max {probe['max_us']:.0f} us (first {FIRST} live bins: max {probe['first_max_us']:.0f} us; "
              "target p99 < 2000 us)")
    else:
        print(f"the {decoder} decoder never went live in this run ({result.reason}); no live-bin latency")
    print(f"run stopped: {result.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run (default 60)")
    parser.add_argument("--calibration", type=float, default=10.0, help="open-loop seconds (default 10)")
    parser.add_argument("--decoder", default="gru", help="decoder kind (default gru)")
    parser.add_argument("--rt-priority", type=int, default=0, metavar="N",
                        help="run_priority (SCHED_FIFO) N for every node (default: normal scheduling)")
    parser.add_argument("--layout", choices=("shipped", "split"), default="shipped",
                        help="the default graph as shipped, or one node per stage as BRAND's graphs "
                             "(split: filter, car, crossings, power, binner and decoder apart)")
    args = parser.parse_args(argv)
    print(f"  default graph ({args.layout}), {args.decoder} decoder: {args.seconds:g} s, "
          f"{args.calibration:g} s calibration ...", flush=True)
    result = default_graph_e2e(args.seconds, args.calibration, args.decoder, args.rt_priority, args.layout)
    print_graph_result(result, args.decoder)
    if args.rt_priority:
        print(f"every node at SCHED_FIFO priority {args.rt_priority}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
