"""Optional dependencies: a missing one is a CortexlinkError naming the extra to install."""

import pytest

from cortexlink.core.errors import CortexlinkError, MissingDependencyError
from cortexlink.core.optional import pyplot, require


def test_require_returns_the_module():
    assert require("json", "x", "parsing").dumps([1]) == "[1]"


def test_missing_module_names_the_extra():
    expected = r"reading things needs no_such_mod_xyz.*cortexlink\[things\]"
    with pytest.raises(MissingDependencyError, match=expected):
        require("no_such_mod_xyz.sub", "things", "reading things")
    assert issubclass(MissingDependencyError, CortexlinkError)


def test_pyplot_uses_a_file_backend():
    plt = pyplot()
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"
    assert hasattr(plt, "subplots")


def test_the_package_imports_without_the_optional_heavy_dependencies():
    """mne and matplotlib are extras: importing cortexlink and its readers must not need them."""
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    code = ("import sys; sys.modules.update(mne=None, matplotlib=None, h5py=None); "
            "import cortexlink, cortexlink.io, cortexlink.sim, cortexlink.sim.plots, cortexlink.cli")
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(src), "PATH": ""},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module, extra, where, call, args", [
    ("pynwb", "nwb", "cortexlink.io.nwb", "_pynwb", ()),
    ("redis", "redis", "cortexlink.graph.redis_transport", "redis_client", ("redis://127.0.0.1:1",)),
    ("hiredis", "redis", "cortexlink.graph.resp", "RespConnection", ("redis://127.0.0.1:1",)),
])
def test_every_optional_import_names_its_extra(monkeypatch, module, extra, where, call, args):
    import importlib
    import sys

    function = getattr(importlib.import_module(where), call)
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(MissingDependencyError, match=rf"needs {module}, which is not installed.*\[{extra}\]"):
        function(*args)
