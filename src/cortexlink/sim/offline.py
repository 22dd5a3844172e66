"""``simulate``: a whole simulated recording and its ground truth in one call."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_positive
from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.motor import MotorSimulator
from cortexlink.sim.truth import SimResult

BLOCK_SECONDS = 0.1


def n_samples_for(seconds: float, sample_rate: float) -> int:
    seconds = check_positive(seconds, "seconds")
    n = int(round(seconds * sample_rate))
    if n < 1:
        raise InvalidParameterError(
            f"{seconds} s at {sample_rate:g} Hz is less than one sample; simulate longer")
    return n


def block_sizes(sim: MotorSimulator, n_samples: int) -> list[int]:
    """Sizes of the blocks (about BLOCK_SECONDS, whole control periods) that make ``n_samples``."""
    ps = sim.period_samples
    block = max(ps, int(BLOCK_SECONDS * sim.sample_rate) // ps * ps)
    return [min(block, n_samples - start) for start in range(0, n_samples, block)]


def record(sim: MotorSimulator, n_samples: int, site: str = "0",
           blocks: Iterable[int] | None = None) -> SimResult:
    """Read ``n_samples`` from ``sim`` into a SimResult, in ``blocks`` (sizes summing to
    ``n_samples``; default ``block_sizes``; wrap them in a progress bar to show progress)."""
    n_bytes = sim.n_channels * n_samples * 2
    try:
        if n_bytes > _physical_memory():
            raise MemoryError
        data = np.empty((sim.n_channels, n_samples), dtype=np.int16)
    except MemoryError:
        raise InvalidParameterError(
            f"{sim.n_channels} channels x {n_samples} samples ({n_bytes / 2**30:.1f} GiB) do not fit in "
            "memory; simulate fewer seconds or channels, or read MotorSimulator.stream() chunk by chunk"
        ) from None
    done = 0
    for k in block_sizes(sim, n_samples) if blocks is None else blocks:
        data[:, done:done + k] = sim.read(k)
        done += k
    if done != n_samples:
        raise InvalidParameterError(f"blocks add up to {done} samples, not the {n_samples} asked for")
    cfg = sim.config
    recording = Recording(data, cfg.sample_rate, gain_uv=cfg.gain_uv, site=site,
                          metadata={"simulated": True, "seed": sim.seed, "task": sim.task_name})
    return SimResult(recording, sim.truth())


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def simulate(n_channels: int = 96, seconds: float = 10.0, sample_rate: float = 30000.0, seed: int = 0,
             task: str | None = "center_out", *, config: PopulationConfig | None = None,
             **config_fields) -> SimResult:
    """Simulate ``seconds`` of a motor-cortex implant with ``n_channels`` electrodes.

    Any ``PopulationConfig`` field can be passed by name (``gain_uv=0.5``, ``lfp=False``, ...);
    ``config`` gives a whole configuration instead (its channel count and rate then win).
    The result equals reading the same seed's ``MotorSimulator(...).stream()`` for as long.
    """
    if config is None:
        config = PopulationConfig().with_changes(n_channels=n_channels, sample_rate=sample_rate,
                                                 **config_fields)
    elif config_fields:
        config = config.with_changes(**config_fields)
    n = n_samples_for(seconds, config.sample_rate)
    sim = MotorSimulator(config, seed=seed, task=task)
    return record(sim, n)
