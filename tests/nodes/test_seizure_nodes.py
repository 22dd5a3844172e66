"""The seizure nodes: driven in process as the runtime would (messages routed between sites through
feedback ports), and the shipped graph through the real runtime."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CortexlinkError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import NodeContext
from cortexlink.nodes.seizure import (
    PropagationNode,
    SeizureDetectorNode,
    SeizureSceneSource,
    SeizureSummaryNode,
    message_spec,
)
from cortexlink.nodes.seizure_graph import seizure_graph

SCENE = dict(n_sites=3, channels_per_site=8, sample_rate=500.0, chunk_ms=10.0, scene_s=14.0, onset_s=2.0,
             seizure_s=8.0, spread_delay_s=1.5)


def _node(cls, nickname, inputs, feedback, **params):
    settings = cls.make_settings(params)
    outputs = cls.describe_outputs(settings, inputs)
    node = cls(settings, NodeContext.standalone(nickname, inputs, outputs, feedback))
    node.setup()
    return node


def _source():
    params = {k: SCENE[k] for k in ("n_sites", "channels_per_site", "sample_rate", "chunk_ms")}
    params.update(seizure_onset_s=SCENE["onset_s"], seizure_duration_s=SCENE["seizure_s"],
                  spread_delay_s=SCENE["spread_delay_s"], scene_s=SCENE["scene_s"], realtime=False,
                  duration_s=SCENE["scene_s"])
    return _node(SeizureSceneSource, "scene", {}, {}, **params)


@pytest.fixture(scope="module")
def in_process():
    """Every node of the seizure graph in this process; each output delivered where the graph file
    sends it (feedback ports queue chunks for ``drain``)."""
    n = SCENE["n_sites"]
    source = _source()
    raw = {"in": source.context.output_specs["out"]}
    ms = message_spec()
    dets = [_node(SeizureDetectorNode, f"det{k}", raw, {}, site=k, n_sites=n) for k in range(n)]
    props = [_node(PropagationNode, f"prop{k}", raw,
                   {"detections": ms, **{f"site{j}": ms for j in range(n) if j != k}}, site=k, n_sites=n)
             for k in range(n)]
    summary = _node(SeizureSummaryNode, "summary", {"in": ms},
                    {f"{p}{k}": ms for k in range(n) for p in ("detections", "events", "site")})
    for i, out in enumerate(source.generate()):
        if i == 0:
            summary.process({"in": out["truth"]})
        for k in range(n):
            found = dets[k].process({"in": out["out"]})
            if found:
                props[k].context.set_latest("detections", found["out"])
                summary.context.set_latest(f"detections{k}", found["out"])
            sent = props[k].process({"in": out["out"]}) or {}
            if "out" in sent:
                for j in range(n):
                    if j != k:
                        props[j].context.set_latest(f"site{k}", sent["out"])
                summary.context.set_latest(f"site{k}", sent["out"])
            if "events" in sent:
                summary.context.set_latest(f"events{k}", sent["events"])
    for node in [*dets, *props, summary]:
        node.shutdown()
    return dets, props, summary


def test_every_site_detects_after_its_onset_and_the_summary_scores_it(in_process):
    dets, props, summary = in_process
    r = summary.context.reports
    assert r["detections"] == SCENE["n_sites"] and r["missed_sites"] == "none" and r["false_detections"] == 0
    for k in range(SCENE["n_sites"]):
        assert 0 < r[f"detection_latency_s:site{k}"] < SCENE["seizure_s"]
    assert r["pairs_true"] == 3 and r["bytes_exchanged"] > 0
    assert all(d.context.reports["detections"] == 1 for d in dets)


def test_sites_exchange_messages_and_confirm_pairs_in_order(in_process):
    _, props, summary = in_process
    r = summary.context.reports
    assert r["pairs_found"] >= 1 and r["pair_precision"] == 1.0
    assert r["stimulations"] >= 1 and r["detect_to_stimulate_timed"] == r["stimulations"]
    assert r["detect_to_confirm_timed"] == r["propagation_events"] >= r["stimulations"]
    assert r["detect_to_stimulate_ms_p50"] >= 0
    # the onset site is never told to stimulate: nothing reaches it later than its own seizure
    stim_targets = {s.target for s in summary.summary.result.stimulations}
    assert "site0" not in stim_targets
    for p in props:
        rep = p.context.reports
        assert rep["protocol_bytes"] < rep["allpairs_raw_bytes"]


def test_a_site_whose_peers_never_answer_carries_on():
    """A propagation node with silent peers keeps hashing its own signal and broadcasting."""
    n = 2
    source = _source()
    raw = {"in": source.context.output_specs["out"]}
    ms = message_spec()
    prop = _node(PropagationNode, "prop0", raw, {"detections": ms, "site1": ms}, site=0, n_sites=n + 1)
    written = 0
    for i, out in enumerate(source.generate()):
        if i == 600:  # a detection at 6 s, nobody answers it
            from cortexlink.seizure.messages import encode_messages
            from cortexlink.seizure.onset import SeizureEvent

            ev = encode_messages([SeizureEvent("site0", [0], 4.0, 6.0, 0.9)])
            prop.context.set_latest("detections", Chunk(ev, 0, 1000.0))
        sent = prop.process({"in": out["out"]})
        written += bool(sent)
        if i > 700:
            break
    assert written == 1 and prop.endpoint.site.stats.messages == n


def test_bad_settings_are_clear_errors():
    spec = {"in": StreamSpec("raw", 10, 1000.0, "int16", 10)}
    with pytest.raises(CortexlinkError):
        SeizureDetectorNode.describe_outputs(SeizureDetectorNode.make_settings({"n_sites": 3}), spec)
    with pytest.raises(CortexlinkError):
        seizure_graph(n_sites=1)


def test_shipped_graph_is_the_generated_one():
    from cortexlink.nodes import DEFAULT_GRAPH
    from cortexlink.nodes.run import plan_for_run

    assert (DEFAULT_GRAPH.parent / "seizure.yaml").read_text() == seizure_graph()
    plan, _ = plan_for_run("seizure")
    assert set(plan.node("prop1").feedback) == {"detections", "site0", "site2", "site3"}
    assert plan.streams["raw"].n_channels == 4 * 16


@pytest.mark.slow
def test_the_graph_runs_live_over_shared_memory():
    from cortexlink.graph.graphfile import parse_graph
    from cortexlink.graph.plan import plan_graph
    from cortexlink.graph.shm import ShmTransport
    from cortexlink.graph.supervisor import Supervisor
    from cortexlink.nodes import BUILTIN_NODES

    plan = plan_graph(parse_graph(seizure_graph(**SCENE), "seizure-small.yaml"), BUILTIN_NODES)
    transport = ShmTransport()
    try:
        result = Supervisor(plan, transport).run(SCENE["scene_s"] + 10)
    finally:
        transport.destroy()
    assert not result.failed, result.reason
    r = {s.nickname: s.reports for s in result.nodes}["summary"]
    assert r["detections"] >= 1 and r["pairs_true"] == 3
    assert np.isfinite(r["bytes_exchanged"])
