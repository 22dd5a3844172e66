"""The one-way dependencies of DESIGN.md hold in the code: every ``cortexlink.X`` import, at module top
or inside a function, points down the layers (algorithms never import the runtime, the runtime never
imports an algorithm, the CLI and the API sit on top)."""

from __future__ import annotations

import ast
from pathlib import Path

import cortexlink

ROOT = Path(cortexlink.__file__).parent
ALGORITHMS = {"io": 1, "sim": 2, "dsp": 2, "codec": 2, "similarity": 2,
              "decode": 3, "sort": 3, "seizure": 3, "fabric": 3, "store": 4, "query": 4}


def _may_import(package: str, target: str) -> bool:
    if target == package or target in ("core", "errors"):
        return True
    if package in ("core", "errors"):
        return False
    if package == "graph":
        return False  # the runtime knows no neuroscience
    if package in ALGORITHMS:
        return target in ALGORITHMS and ALGORITHMS[target] <= ALGORITHMS[package] and (
            ALGORITHMS[target] < ALGORITHMS[package] or ALGORITHMS[package] >= 3)
    if package == "nodes":
        return target in ALGORITHMS or target == "graph"
    if package == "serve":
        return target != "cli"
    return package in ("cli", "__main__", "__init__")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [(node.lineno, name.split(".")[1]) for name in names
                  if name.startswith("cortexlink.") and len(name.split(".")) > 1]
    return found


FILES = sorted(ROOT.rglob("*.py"))


def test_every_package_is_placed():
    packages = {p.relative_to(ROOT).parts[0] for p in FILES if len(p.relative_to(ROOT).parts) > 1}
    known = set(ALGORITHMS) | {"core", "graph", "nodes", "serve", "cli"}
    assert packages <= known, f"place {sorted(packages - known)} in DESIGN.md's layers and in this test"


def test_imports_point_down_the_layers():
    wrong = []
    for path in FILES:
        rel = path.relative_to(ROOT)
        package = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        wrong += [f"{rel}:{line} ({package}) imports cortexlink.{target}" for line, target in _imports(path)
                  if not _may_import(package, target)]
    assert not wrong, "imports against DESIGN.md's one-way dependencies:\n" + "\n".join(wrong)


def test_the_check_catches_a_wrong_import():
    assert not _may_import("dsp", "graph") and not _may_import("graph", "decode")
    assert not _may_import("sim", "decode") and not _may_import("decode", "store")
    assert not _may_import("nodes", "serve") and not _may_import("serve", "cli")
    assert _may_import("nodes", "graph") and _may_import("query", "seizure") and _may_import("cli", "serve")
