"""Loaders for the real motor sets in ../shared/data/motor: one form, time last."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, UnsupportedFormatError
from cortexlink.decode import load_motor


def test_contdata95(data_dir):
    d = load_motor(data_dir / "motor/umich_contdata95/contdata95.mat")
    assert d.X.shape == (95, 31413) and d.Y.shape == (2, 31413) and d.bin_width == 0.05
    assert d.output_names == ["vel_x", "vel_y"] and np.all(d.X == np.round(d.X))


@pytest.mark.parametrize("name,n", [("chewie", 71), ("mihi", 174)])
def test_dad(data_dir, name, n):
    d = load_motor(data_dir / f"motor/kordinglab_DAD/{name}_demo.mat")
    assert d.X.shape[0] == n and d.Y.shape == (2, d.X.shape[1]) and d.labels.shape == (d.X.shape[1],)
    assert np.all(d.X == np.round(d.X)) and np.all(d.X >= 0)  # counts, also where the file holds rates
    test = load_motor(data_dir / f"motor/kordinglab_DAD/{name}_demo.mat", part="test")
    assert test.X.shape[1] != d.X.shape[1]
    if name == "mihi":
        assert d.bin_width == pytest.approx(0.2)


def test_reaching_trials(data_dir):
    d = load_motor(data_dir / "motor/centuri_hatsopoulos_brochier/Dataset1_reaching.mat")
    assert d.X.shape == (143, 158) and set(np.unique(d.labels)) == set(range(1, 9))
    np.testing.assert_allclose(np.hypot(*d.Y), 1.0)


def test_unsupported_files(data_dir, tmp_path):
    with pytest.raises(UnsupportedFormatError, match="v7.3"):
        load_motor(data_dir / "motor/centuri_hatsopoulos_brochier/Dataset2_grasping_v1.mat")
    bad = tmp_path / "x.mat"
    bad.write_bytes(b"hello")
    with pytest.raises(CortexlinkError):
        load_motor(bad)
    with pytest.raises(CortexlinkError, match="no data file"):
        load_motor(tmp_path / "missing.mat")
