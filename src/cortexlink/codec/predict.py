"""Sign-sign LMS prediction on sample differences, shared by the kernels.

The state row of a channel holds ``order`` past differences, ``order`` weights (units of
``2**-10``) and the last sample; a kernel keeps its own fields after them. Integer only, so the
encoder and the decoder predict bit-identically on any machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SHIFT = 11


@njit(cache=True, inline="always")
def predict(st, order, frac, top):
    """Prediction of the next sample in units of ``2**-frac``, within ``[0, top]``."""
    acc = np.int64(1 << (SHIFT - frac - 1))
    for j in range(order):
        acc += st[order + j] * st[j]
    return min(max((st[2 * order] << frac) + (acc >> (SHIFT - frac)), 0), top << frac)


@njit(cache=True, inline="always")
def update(st, order, x, e):
    """Learn from sample ``x`` whose residual was ``e``: nudge weights by sign(e) * sign(history)."""
    sg = (e > 0) - np.int64(e < 0)
    for j in range(order):
        st[order + j] += sg * ((st[j] > 0) - np.int64(st[j] < 0))
    for j in range(order - 1, 0, -1):
        st[j] = st[j - 1]
    st[0] = x - st[2 * order]
    st[2 * order] = x
