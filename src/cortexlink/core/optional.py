"""Optional dependencies: import them where they are used, and say which extra to install when
they are missing, instead of an ImportError traceback."""

from __future__ import annotations

import importlib
from types import ModuleType

from cortexlink.core.errors import MissingDependencyError


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise ``MissingDependencyError`` naming ``pip install "cortexlink[extra]"``.

    ``purpose`` completes "... needs <module>", e.g. ``"reading EDF"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs {top}, which is not installed: pip install \"cortexlink[{extra}]\"") from None


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the non-interactive Agg backend (PNG files, no display needed)."""
    matplotlib = require("matplotlib", "plot", "plotting")
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")
