"""Fixtures for the I/O tests: a strategy for random recordings and a bit-exact comparison."""

from __future__ import annotations

from collections.abc import Callable

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest

from cortexlink.core import Recording

# numpy and HDF5 strings drop trailing NULs, so control characters are left out of site names
_SITE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


def _recordings(dtypes=("int16", "float32"), integer_rate: bool = False, max_channels: int = 6,
                max_samples: int = 300) -> st.SearchStrategy[Recording]:
    @st.composite
    def build(draw):
        dtype = np.dtype(draw(st.sampled_from(dtypes)))
        shape = (draw(st.integers(1, max_channels)), draw(st.integers(0, max_samples)))
        if dtype == np.int16:
            elements = st.integers(-32768, 32767)
        else:
            elements = st.floats(width=32, allow_nan=False, allow_infinity=False)
        data = draw(hnp.arrays(dtype, shape, elements=elements))
        rate = draw(st.integers(1, 200_000)) if integer_rate else draw(
            st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False))
        return Recording(
            data, rate,
            gain_uv=draw(st.floats(1e-3, 1e3)) if dtype == np.int16 else 1.0,
            t0=draw(st.floats(-1e4, 1e4)),
            site=draw(st.text(_SITE_CHARS, min_size=1, max_size=8)),
        )
    return build()


@pytest.fixture(scope="session")
def recordings() -> Callable[..., st.SearchStrategy[Recording]]:
    """``recordings(dtypes=..., integer_rate=...)``: a hypothesis strategy for valid Recordings."""
    return _recordings


def bit_exact(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bytes (so -0.0 and 0.0 differ, as they should for a lossless format)."""
    return a.dtype == b.dtype and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == \
        np.ascontiguousarray(b).tobytes()


@pytest.fixture(scope="session")
def same_bits() -> Callable[[np.ndarray, np.ndarray], bool]:
    return bit_exact
