"""Shared vocabulary: Recording, Chunk, StreamSpec and the errors. Depends on numpy only."""

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import (
                                    CorruptDataError,
                                    CortexlinkError,
                                    GraphError,
                                    InvalidDataError,
                                    InvalidParameterError,
                                    MissingDependencyError,
                                    ModelFileError,
                                    NodeError,
                                    NotFittedError,
                                    RecordingNotFoundError,
                                    TransportError,
                                    UnsupportedFormatError,
)
from cortexlink.core.recording import Recording
from cortexlink.core.streamspec import StreamSpec

__all__ = [
    "Chunk", "Recording", "StreamSpec", "CortexlinkError", "CorruptDataError", "GraphError",
    "InvalidDataError", "InvalidParameterError", "MissingDependencyError", "ModelFileError", "NodeError",
    "NotFittedError", "RecordingNotFoundError", "TransportError", "UnsupportedFormatError",
]
