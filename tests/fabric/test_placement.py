import itertools

import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.fabric.placement import Machine, PlacementNode, place


def _latency(nodes, where, local, remote):
    arrive = {}
    for n in nodes:
        wait = sum(o.cost_us for o in nodes if o.name != n.name and where[o.name] == where[n.name])
        start = max(
            (arrive[p] + (local if where[p][0] == where[n.name][0] else remote) for p in n.parents),
            default=0.0,
        )
        arrive[n.name] = start + n.cost_us + wait
    return max(arrive.values())


def test_placement_equals_brute_force():
    nodes = [
        PlacementNode("src", 100, 1000),
        PlacementNode("a", 300, 1000, ("src",)),
        PlacementNode("b", 250, 1000, ("src",)),
        PlacementNode("sink", 50, 1000, ("a", "b")),
    ]
    machines = [Machine("m0", 2), Machine("m1", 1)]
    cores = [(m.name, c) for m in machines for c in range(m.cores)]
    got = place(nodes, machines, local_hop_us=20, remote_hop_us=200)
    best = float("inf")
    for combo in itertools.product(cores, repeat=len(nodes)):
        where = dict(zip([n.name for n in nodes], combo, strict=True))
        util = {c: sum(n.cost_us / n.period_us for n in nodes if where[n.name] == c) for c in cores}
        if max(util.values()) <= 0.8:
            best = min(best, _latency(nodes, where, 20, 200))
    assert got.latency_us == pytest.approx(best, abs=1e-6)
    assert _latency(nodes, got.where, 20, 200) == pytest.approx(got.latency_us, abs=1e-6)


def test_too_little_cpu_is_explained():
    nodes = [PlacementNode("a", 900, 1000), PlacementNode("b", 900, 1000, ("a",))]
    with pytest.raises(CortexlinkError, match="add cores"):
        place(nodes, [Machine("m", 1)])
