"""Printing benchmark results: rows of dicts as an aligned text table."""

from __future__ import annotations

import numpy as np


def print_table(title: str, rows: list[dict]) -> None:
    """Rows of dicts as an aligned text table under ``title``."""
    print(f"\n{title}")
    if not rows:
        print("  (no rows)")
        return
    cols = list(rows[0])
    cells = [[fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[j]) for row in cells)) for j, c in enumerate(cols)]
    print("  " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  " + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def fmt(v: object) -> str:
    """A cell: yes/no for booleans, 3 significant decimals for floats, '-' for NaN."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        v = float(v)
        if v != v:
            return "-"
        return f"{v:.3g}" if abs(v) >= 1000 or abs(v) < 0.01 else f"{v:.3f}"
    return str(v)
