import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.decode.partial import site_channels, site_rows, site_share, sum_shares
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import load_plan, plan_graph
from cortexlink.nodes import BUILTIN_NODES
from cortexlink.nodes.movement_graph import features_to_one_graph, movement_sites_graph


def test_site_rows_cover_every_feature_once():
    rows = [site_rows(2 * 3 * 4, s, 3) for s in range(3)]
    assert sorted(np.concatenate(rows).tolist()) == list(range(24))
    assert rows[1].tolist() == [4, 5, 6, 7, 16, 17, 18, 19]
    with pytest.raises(CortexlinkError):
        site_rows(10, 0, 3)
    assert site_channels(12, 1, 3) == slice(4, 8)
    with pytest.raises(CortexlinkError):
        site_channels(10, 0, 3)


def test_shares_sum_to_the_joint_linear_decision():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 50))
    weights = [rng.normal(size=(2, 8)) for _ in range(3)]
    shares = [site_share(w @ X[site_rows(24, s, 3)], 3) for s, w in enumerate(weights)]
    joint = np.zeros((2, 24))
    for s, w in enumerate(weights):
        joint[:, site_rows(24, s, 3)] = w / 3
    assert np.allclose(sum_shares(shares), joint @ X)


@pytest.mark.parametrize("n_sites", [1, 3, 11])
def test_movement_graphs_plan(n_sites):
    for text in (movement_sites_graph(n_sites), features_to_one_graph(n_sites)):
        plan = plan_graph(parse_graph(text, source="g.yaml"), BUILTIN_NODES)
        assert "task" in {n.nickname for n in plan.nodes}
    plan = plan_graph(parse_graph(movement_sites_graph(n_sites), source="g.yaml"), BUILTIN_NODES)
    assert len(plan.node("leader").inputs) == n_sites


def test_shipped_graph_and_port_family_errors(tmp_path):
    from cortexlink.nodes import DEFAULT_GRAPH

    load_plan(DEFAULT_GRAPH.parent / "movement-sites.yaml", BUILTIN_NODES)
    text = movement_sites_graph(2).replace("site0: share0, site1: share1", "sitex: share0")
    with pytest.raises(CortexlinkError, match="no inputs port 'sitex'"):
        plan_graph(parse_graph(text, source="g.yaml"), BUILTIN_NODES)


def test_leader_needs_at_least_one_site():
    text = movement_sites_graph(1).replace("    inputs: {site0: share0}\n", "")
    with pytest.raises(CortexlinkError, match="at least one input port site0"):
        plan_graph(parse_graph(text, source="g.yaml"), BUILTIN_NODES)
