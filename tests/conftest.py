"""Shared fixtures: where the real recordings live, relative to the project root; the redis-server
the redis transport's tests need."""

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = (PROJECT_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data`` beside the project; the suite needs it (it is always there in CI)."""
    if not DATA_DIR.is_dir():
        pytest.fail(f"real data folder {DATA_DIR} is missing; it must sit beside the project as shared/data")
    return DATA_DIR


@pytest.fixture(scope="session")
def redis_server_exe() -> str:
    """The redis-server binary. Missing, the redis transport's tests are skipped with the command
    that installs it, except in CI (``CI`` set), where they fail: CI must test both transports."""
    from cortexlink.graph.redis_server import INSTALL_HINT, redis_server_path

    exe = redis_server_path()
    if exe is None:
        why = f"redis-server is not installed ({INSTALL_HINT}): the redis transport is not tested"
        if os.environ.get("CI"):
            pytest.fail(why + "; .ci/run installs it")
        pytest.skip(why)
    return exe
