"""Small helpers shared by the built-in nodes: output specs and the single driving input."""

from __future__ import annotations

import math
from dataclasses import replace

from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec


def only_input(kind: str, input_specs: dict[str, StreamSpec]) -> StreamSpec:
    """The spec of a node's one driving input."""
    if len(input_specs) != 1:
        raise NodeError(f"{kind} takes exactly one input stream, got {len(input_specs)}")
    (spec,) = input_specs.values()
    return spec


def resampled(spec: StreamSpec, rate: float, dtype: str = "float32",
              n_channels: int | None = None) -> StreamSpec:
    """``spec`` at another rate (chunks shrink in proportion, at least one sample), dtype and width."""
    chunk = max(1, math.ceil(spec.chunk_samples * rate / spec.sample_rate))
    return replace(spec, sample_rate=float(rate), dtype=dtype, chunk_samples=chunk,
                   n_channels=spec.n_channels if n_channels is None else int(n_channels))
