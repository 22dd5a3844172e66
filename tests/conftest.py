"""Shared fixtures: where the real recordings live, relative to the project root."""

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
