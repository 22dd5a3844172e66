"""Retention budgets: how much of each partition (signal, hashes, events) a store keeps.

Hull keeps a fixed budget per implant and overwrites the oldest data; here a budget is bytes per
partition and/or seconds for all of them, and whole time segments go oldest first: sealed chunks
(every channel's chunk of one time span together) for signal and hashes, flushed event files
for events. The newest sealed chunk is always kept, so a budget smaller than one chunk keeps one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cortexlink.core.errors import InvalidParameterError


@dataclass(frozen=True)
class Retention:
    """Budgets; ``None`` means unlimited. ``seconds`` bounds every partition's age."""

    signal_bytes: int | None = None
    hash_bytes: int | None = None
    event_bytes: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("signal_bytes", "hash_bytes", "event_bytes", "seconds"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, int | float) and math.isfinite(value) and value > 0
            ):
                raise InvalidParameterError(
                    f"retention {name} must be a positive number or None, got {value!r}"
                )

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def n_oldest_over_budget(sizes: Sequence[int], budget: int | None, keep: int = 1) -> int:
    """How many of ``sizes`` (oldest first) to drop so the rest fit in ``budget`` bytes,
    keeping at least the newest ``keep``."""
    if budget is None:
        return 0
    total = sum(sizes)
    drop = 0
    while total > budget and len(sizes) - drop > keep:
        total -= sizes[drop]
        drop += 1
    return drop


def n_older_than(ends: Sequence[int], newest: int, max_age: int | None, keep: int = 1) -> int:
    """How many of the segments ending at ``ends`` (samples, oldest first) end more than
    ``max_age`` samples before ``newest``, keeping at least the newest ``keep``."""
    if max_age is None:
        return 0
    drop = 0
    while drop < len(ends) - keep and ends[drop] < newest - max_age:
        drop += 1
    return drop
