"""cortexlink: an open platform for brain-computer interfaces.

Simulate or read neural recordings, process them in real time, decode intended
movement, compress raw signal losslessly, store it and answer questions about it.
Everything the ``cortexlink`` command does is one call here, e.g. ``cortexlink.run(duration=30)``,
``cortexlink.simulate(...)``, ``cortexlink.open_recording(path)``, ``cortexlink.compress(recording)``,
``cortexlink.make_decoder("kalman")``. The calls load their package on first use, so
``import cortexlink`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from cortexlink.core import Chunk, CortexlinkError, Recording, StreamSpec

__version__ = "0.1.0"

# public name -> the module that defines it (imported on first access)
_LAZY = {
    "run": "cortexlink.nodes.run",
    "RunReport": "cortexlink.graph.session",
    "node_catalog": "cortexlink.nodes.catalog",
    "serve_agent": "cortexlink.graph.agent",
    "serve_brand": "cortexlink.nodes.brand_service",
    "simulate": "cortexlink.sim",
    "simulate_scene": "cortexlink.sim",
    "open_recording": "cortexlink.io",
    "save_recording": "cortexlink.io",
    "compress": "cortexlink.codec",
    "decompress": "cortexlink.codec",
    "compress_file": "cortexlink.codec.files",
    "decompress_file": "cortexlink.codec.files",
    "evaluate_dir": "cortexlink.codec.evaluate",
    "make_decoder": "cortexlink.decode",
    "load_decoder": "cortexlink.decode",
    "train_decoder": "cortexlink.decode",
    "evaluate_decoders": "cortexlink.decode",
    "apply_decoder": "cortexlink.decode",
    "find_similar": "cortexlink.similarity",
    "exact_top_k": "cortexlink.similarity",
    "make_hash": "cortexlink.similarity",
    "compress_hashes": "cortexlink.similarity",
    "decompress_hashes": "cortexlink.similarity",
    "place_graph": "cortexlink.nodes.placement",
    "evaluate_eeg": "cortexlink.decode.trials",
    "read_epochs": "cortexlink.decode.trials",
    "train_eeg": "cortexlink.decode.trials",
    "score_channels": "cortexlink.seizure",
    "train_detector": "cortexlink.seizure.api",
    "evaluate_detector": "cortexlink.seizure.api",
    "detect_file": "cortexlink.seizure.api",
    "run_query": "cortexlink.query",
    "explain_query": "cortexlink.query",
    "open_store": "cortexlink.store",
    "export_store": "cortexlink.store",
    "sort_file": "cortexlink.sort",
    "sort_recording": "cortexlink.sort",
    "OnlineSorter": "cortexlink.sort",
}

__all__ = ["Chunk", "CortexlinkError", "Recording", "StreamSpec", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'cortexlink' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
