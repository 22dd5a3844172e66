"""Fixtures of the serve tests: a token file with one token per scope, a small fitted decoder file,
and an app (FastAPI's in-process client) over a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

HERE = Path(__file__).resolve().parent
TEST_NODES = {
    "steady_velocity": f"{HERE / 'graph_nodes.py'}:SteadyVelocity",
    "pass_decoder": f"{HERE / 'graph_nodes.py'}:PassDecoder",
}
N_FEATURES = 12


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    from cortexlink.serve.tokens import add_token

    path = tmp_path / "tokens.jsonl"
    return {scope: add_token(path, f"{scope}-user", [scope]) for scope in ("read", "control", "admin")}


@pytest.fixture
def config(tmp_path: Path, tokens: dict[str, str]):
    from cortexlink.serve import ServeConfig

    return ServeConfig(
        tokens=tmp_path / "tokens.jsonl",
        data_dir=tmp_path / "data",
        max_body=64 << 10,
        max_upload=1 << 20,
        node_kinds=TEST_NODES,
    )


@pytest.fixture
def client(config):
    from fastapi.testclient import TestClient

    from cortexlink.serve import create_app

    with TestClient(create_app(config)) as c:
        yield c


@pytest.fixture(scope="session")
def model_bytes(tmp_path_factory) -> bytes:
    """A Kalman-filter decoder file fitted on a small random problem."""
    from cortexlink.decode import make_decoder

    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_FEATURES, 400))
    Y = rng.normal(size=(2, N_FEATURES)) @ X
    path = tmp_path_factory.mktemp("model") / "m.npz"
    make_decoder("kalman").fit(X, Y).save(path)
    return path.read_bytes()
