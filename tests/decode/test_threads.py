"""Linear decoders fit on one BLAS thread by default, only while fitting; threads=None: no limit."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

import cortexlink.decode.kalman as kalman_module
import cortexlink.decode.wiener as wiener_module
from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode import load_decoder, make_decoder
from cortexlink.decode.threads import blas_threads, torch_threads


def blas_thread_counts() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture
def seen(monkeypatch):
    """BLAS thread counts in force inside the decoders' hot least-squares calls."""
    counts: list[list[int]] = []

    def spy(fn):
        def wrapped(*args, **kwargs):
            counts.append(blas_thread_counts())
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(wiener_module.RidgeStats, "solve", spy(wiener_module.RidgeStats.solve))
    monkeypatch.setattr(kalman_module, "_lstsq", spy(kalman_module._lstsq))
    return counts


@pytest.mark.parametrize("name", ["wiener", "kalman", "kalman-ss"])
def test_fit_runs_on_one_blas_thread_and_restores_the_pool(population, seen, name):
    X, Y = population
    make_decoder(name, n_lags=2).fit(X[:, :100], Y[:, :100])  # loads every BLAS the fit uses
    seen.clear()
    before = blas_thread_counts()
    make_decoder(name, n_lags=2).fit(X[:, :800], Y[:, :800])
    assert seen and all(c == [1] * len(before) for c in seen)
    assert blas_thread_counts() == before  # not a process-wide change


def test_threads_none_leaves_the_library_default(population, seen):
    X, Y = population
    with blas_threads(2):  # a known default for the test, whatever the machine's core count
        default = blas_thread_counts()
        make_decoder("wiener", n_lags=2, threads=None).fit(X[:, :800], Y[:, :800])
    assert seen and all(c == default for c in seen)


def test_threads_is_a_parameter_that_is_saved(population, tmp_path):
    X, Y = population
    dec = make_decoder("kalman", n_lags=2, threads=2).fit(X[:, :800], Y[:, :800])
    assert load_decoder(dec.save(tmp_path / "k.npz")).threads == 2
    with pytest.raises(InvalidParameterError, match="threads must be at least 1"):
        make_decoder("wiener", threads=0)


def test_torch_threads_holds_only_inside_the_block():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("a failed fit")
    assert torch.get_num_threads() == before  # restored after an error too
    with torch_threads(None):
        assert torch.get_num_threads() == before
