"""plot_evaluation writes one figure per regression decoder and an R^2 bar chart."""

from __future__ import annotations

import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.decode import MotorData
from cortexlink.decode.evaluate import evaluate_decoders
from cortexlink.decode.plots import plot_evaluation


def test_plot_evaluation(population, tmp_path):
    X, Y = population
    ev = evaluate_decoders(MotorData(X[:, :600], Y[:, :600], 0.05, ["vx", "vy"]), ["wiener"], folds=2)
    written = plot_evaluation(ev, tmp_path / "plots")
    assert {p.name for p in written} == {"decoded_wiener.png", "r2.png"}
    assert all(p.stat().st_size > 1000 for p in written)
    with pytest.raises(CortexlinkError, match="does not exist"):
        plot_evaluation(ev, tmp_path / "a" / "b")
