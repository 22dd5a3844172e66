"""The codec's compression levels, defined once for the engine, file formats, API and CLI.

The order is part of the file formats: a container stores ``("stored", *LEVELS).index(method)``
per block and a stream stores ``LEVELS.index(level)`` in its header, so new levels go at the end.
"""

from __future__ import annotations

from cortexlink.core.errors import InvalidParameterError

LEVELS = ("fast", "max")
DEFAULT_LEVEL = "max"  # files: the best ratio
STREAM_LEVEL = "fast"  # live streams: max takes about 20x longer per chunk


def check_level(level: str) -> str:
    """``level`` if it names a compression level, else a clear error."""
    if level not in LEVELS:
        raise InvalidParameterError(f"unknown compression level {level!r}; use one of {', '.join(LEVELS)}")
    return level
