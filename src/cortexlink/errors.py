"""The error vocabulary, importable as ``cortexlink.errors`` (defined in ``cortexlink.core``)."""

from cortexlink.core.errors import *  # noqa: F403
from cortexlink.core.errors import __all__  # noqa: F401
