import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.dsp import NEO

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS)
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts):
    assert_chunk_invariant(NEO(FS), spiky, cuts)


def test_is_the_teager_kaiser_operator_delayed_one_sample():
    x = np.random.default_rng(0).normal(size=(3, 50))
    y = NEO(FS).apply(x)
    psi = x[:, 1:-1] ** 2 - x[:, :-2] * x[:, 2:]  # psi[n] for n = 1..48
    np.testing.assert_allclose(y[:, 2:], psi, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[:, 1], x[:, 0] ** 2, rtol=1e-5)  # x[-1] taken as 0
    assert np.all(y[:, 0] == 0)


def test_energy_of_a_sine_is_constant():
    # psi of A sin(w n) is A^2 sin^2(w): an amplitude-frequency energy tracker
    n = np.arange(400)
    y = NEO(FS).apply((5 * np.sin(0.3 * n))[None, :])[0, 2:]
    np.testing.assert_allclose(y, 25 * np.sin(0.3) ** 2, rtol=1e-4)
