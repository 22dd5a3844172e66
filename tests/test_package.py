"""The top-level package: every CLI job is one call from ``import cortexlink``, loaded on first use."""

import subprocess
import sys

import pytest

import cortexlink


@pytest.mark.parametrize("name", sorted(cortexlink._LAZY))
def test_every_public_call_resolves(name):
    assert callable(getattr(cortexlink, name))
    assert name in dir(cortexlink)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        cortexlink.no_such_thing  # noqa: B018


def test_import_stays_light():
    code = ("import sys, cortexlink; heavy = [m for m in ('torch', 'numba', 'matplotlib', 'mne', 'scipy') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_a_notebook_user_simulates_compresses_and_gets_it_back(tmp_path):
    result = cortexlink.simulate(n_channels=4, seconds=0.5, seed=1)
    rec = result.recording
    restored = cortexlink.decompress(cortexlink.compress(rec))
    assert (restored.data == rec.data).all()
