"""The simulation picture: a PNG when matplotlib is there, an error naming the extra when not."""

from __future__ import annotations

import sys

import pytest

from cortexlink.core.errors import MissingDependencyError
from cortexlink.sim import simulate
from cortexlink.sim.plots import plot_simulation


@pytest.fixture(scope="module")
def small():
    return simulate(4, 0.2, seed=3)


def test_plot_writes_a_png(small, tmp_path):
    out = plot_simulation(small, tmp_path / "sim.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_error_names_the_plot_extra(small, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if matplotlib were not installed
    with pytest.raises(MissingDependencyError, match=r"plotting needs matplotlib.*cortexlink\[plot\]"):
        plot_simulation(small, tmp_path / "sim.png")
    assert not (tmp_path / "sim.png").exists()
