"""Small stores for the query tests: three sites of four channels at 1 kHz (so 1 ms = 1 sample),
3.13 s each, committed up to the same wall-clock time."""

import numpy as np
import pytest

from cortexlink.store import StoreWriter

RATE = 1000.0
N = 3130
SITES = ("alpha", "beta", "gamma")


def site_data(k: int) -> np.ndarray:
    rng = np.random.default_rng(100 + k)
    x = np.cumsum(rng.normal(0, 20, (4, N)), axis=1)
    x -= x.mean(axis=1, keepdims=True)
    burst = rng.integers(0, N - 300)
    x[k % 4, burst : burst + 300] += 400 * np.sin(np.arange(300) / 5.0)
    return np.clip(x, -30000, 30000).astype(np.int16)


@pytest.fixture(scope="session")
def stores(tmp_path_factory):
    """``(folder, {site: data})``: one store per site, sealed chunks of 500 samples and a tail."""
    root = tmp_path_factory.mktemp("stores")
    data = {}
    for k, site in enumerate(SITES):
        x = site_data(k)
        w = StoreWriter(
            root / site,
            4,
            RATE,
            site=site,
            gain_uv=0.5,
            chunk_ms=500,
            hash_window_ms=20,
            fsync=False,
            start_unix_ns=0,
        )
        for a in range(0, N, 250):
            w.append(x[:, a : a + 250])
            w.flush()
        data[site] = x
    return root, data
