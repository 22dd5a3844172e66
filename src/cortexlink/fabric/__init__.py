"""The multi-implant model and planner (Hull, arXiv 2301.03103): component catalogue, applications
as dataflows of processing elements, the scheduling ILP (HiGHS), intra-implant packets and TDMA,
bit-error injection, and placement of graph nodes on machines.

``cortexlink.fabric.plan("seizure", implants=11)`` is what ``cortexlink fabric plan`` does.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "plan": "cortexlink.fabric.plan",
    "sweep": "cortexlink.fabric.plan",
    "Plan": "cortexlink.fabric.plan",
    "InfeasiblePlanError": "cortexlink.fabric.plan",
    "load_catalog": "cortexlink.fabric.catalog",
    "Catalog": "cortexlink.fabric.catalog",
    "load_app": "cortexlink.fabric.apps",
    "System": "cortexlink.fabric.model",
    "evaluate": "cortexlink.fabric.model",
    "ARCHITECTURES": "cortexlink.fabric.model",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'cortexlink.fabric' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
