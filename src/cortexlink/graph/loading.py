"""Find a node class from a reference: ``"package.module:Class"`` or ``"/path/to/file.py:Class"``.

User nodes live in their own files; a file is imported under a private module name derived from
its absolute path, so two files with the same name don't collide and the class can be re-imported
the same way in a node's process.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from cortexlink.core.errors import GraphError
from cortexlink.graph.graphfile import graph_relative

__all__ = ["load_class", "class_ref"]


def class_ref(module: str, name: str, base_dir: Path) -> str:
    """The reference of class ``name`` in ``module`` (a file path, relative to ``base_dir``, or dotted)."""
    if module.endswith(".py") or "/" in module or "\\" in module:
        return f"{graph_relative(module, base_dir).resolve()}:{name}"
    return f"{module}:{name}"


def load_class(ref: str) -> type:
    """Import and return the class named by ``ref``; GraphError says what could not be found."""
    module_part, sep, name = ref.rpartition(":")
    if not sep or not module_part or not name:
        raise GraphError(f"node class reference {ref!r} must look like 'module:Class' or 'file.py:Class'")
    if module_part.endswith(".py"):
        module = _import_file(Path(module_part))
    else:
        try:
            module = importlib.import_module(module_part)
        except ModuleNotFoundError as exc:
            raise GraphError(f"cannot import module {module_part!r} ({exc}); give a file path ending in "
                             ".py or a module on PYTHONPATH") from None
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise GraphError(f"{module_part} defines no {name!r}")
    if not isinstance(obj, type):
        raise GraphError(f"{module_part}:{name} is not a class")
    return obj


def _import_file(path: Path):
    if not path.is_file():
        raise GraphError(f"node module file {str(path)!r} does not exist")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    mod_name = f"cortexlink_user_{path.stem}_{digest}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise GraphError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # dataclasses look their module up while the file runs
    sys.path.insert(0, str(path.parent))  # the file may import its siblings
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[mod_name]
        raise GraphError(f"importing node module {path} failed: {type(exc).__name__}: {exc}") from None
    finally:
        if sys.path and sys.path[0] == str(path.parent):
            sys.path.pop(0)
    return module
