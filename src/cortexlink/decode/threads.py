"""How many threads a decoder's fit may use, and the BLAS limit that enforces it.

Fitting a linear decoder is a handful of large matrix products and inversions in numpy's BLAS
(OpenBLAS or MKL), which by default starts one thread per core. When the machine is busy (other
nodes of a graph, other jobs, hypervisor steal), a BLAS call split across all cores waits at
every synchronisation point for its slowest thread, and the smaller LAPACK calls (a 475 x 475
inverse) are dominated by that waiting: on a shared 2-core machine a Kalman fit took about three
times longer on two BLAS threads than on one, a GRU's training (torch's intra-op pool, matrices
of a few dozen rows) about eight times (``python benchmarks/decoders.py --training-only``). So
every decoder fits on ``threads=1`` by default; ``threads=None`` leaves the libraries' default.
The limit holds only while ``fit`` runs (``threadpoolctl``; ``torch.set_num_threads`` for the
networks), not process-wide. The numba kernels use scipy's BLAS on vectors and 2 x 2 matrices,
too small for threads to matter; none of them is parallel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cortexlink.core.errors import InvalidParameterError


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """Limit numpy's BLAS to ``threads`` threads inside the block; ``None``: no limit."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run torch's intra-op pool on ``threads`` threads inside the block and restore its setting
    after; ``None``: leave torch's setting (one thread per core by default). Imports torch."""
    if threads is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def check_threads(threads: int | None) -> int | None:
    """``threads`` if it is None or at least 1."""
    if threads is not None and int(threads) < 1:
        raise InvalidParameterError(f"threads must be at least 1 (or null: the BLAS default), got {threads}")
    return None if threads is None else int(threads)
