"""cortexlink: an open platform for brain-computer interfaces.

Simulate or read neural recordings, process them in real time, decode intended
movement, compress raw signal losslessly, store it and answer questions about it.
"""

from cortexlink.core import Chunk, CortexlinkError, Recording, StreamSpec

__version__ = "0.1.0"

__all__ = ["Chunk", "CortexlinkError", "Recording", "StreamSpec", "__version__"]
