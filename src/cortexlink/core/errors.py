"""Errors raised by cortexlink.

Every error a user can cause is a ``CortexlinkError`` whose message says what was
wrong and what to do about it. The CLI prints that message on one line and exits 2.
"""

__all__ = [
    "CortexlinkError",
    "InvalidDataError",
    "InvalidParameterError",
    "UnsupportedFormatError",
    "CorruptDataError",
    "RecordingNotFoundError",
    "ModelFileError",
    "NotFittedError",
    "GraphError",
    "TransportError",
    "NodeError",
    "MissingDependencyError",
]


class CortexlinkError(Exception):
    """Base class of every error cortexlink raises on purpose."""


class InvalidDataError(CortexlinkError, ValueError):
    """Array data has the wrong shape, dtype or values (NaN, zero channels, ...)."""


class InvalidParameterError(CortexlinkError, ValueError):
    """A parameter is out of range or of the wrong type (non-positive rate, ...)."""


class UnsupportedFormatError(CortexlinkError):
    """A file's format is unknown or a feature of it is not supported."""


class CorruptDataError(CortexlinkError):
    """A file or byte stream is damaged: bad magic, checksum, truncation, absurd sizes."""


class RecordingNotFoundError(CortexlinkError, FileNotFoundError):
    """A path that should hold a recording (or model, or graph) does not exist."""


class ModelFileError(CortexlinkError):
    """A saved model file is of another kind, of an unknown version, or was tampered with."""


class NotFittedError(CortexlinkError):
    """A model was used before it was fitted or loaded."""


class GraphError(CortexlinkError):
    """A graph file is invalid: unknown node, cycle, duplicate nickname, bad parameter."""


class TransportError(CortexlinkError):
    """A stream transport could not be created, reached or used."""


class NodeError(CortexlinkError):
    """A node failed to set up or to run."""


class MissingDependencyError(CortexlinkError, ImportError):
    """An optional dependency that this feature needs is not installed; the message names the extra."""


class DeviceError(CortexlinkError):
    """An acquisition device or network stream is not there, or stopped answering."""
