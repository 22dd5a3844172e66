"""PNG of a sweep: throughput per task and weighted throughput vs implant count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cortexlink.core.optional import pyplot
from cortexlink.core.paths import writing
from cortexlink.fabric.apps import App

__all__ = ["plot_sweep"]


def plot_sweep(rows: list[dict[str, Any]], app: App, path: str | Path) -> Path:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["arch"], r["weights"]), []).append(r)
    for (arch, w), rs in groups.items():
        n = [r["implants"] for r in rs]
        for task in app.tasks:
            ax1.plot(
                n,
                [r[f"{task.name}_mbps"] or float("nan") for r in rs],
                marker="o",
                label=f"{arch} {task.label}",
            )
        ax2.plot(n, [r["weighted_mbps"] for r in rs], marker="o", label=f"{arch} {w}")
    ax1.set(
        yscale="log", xlabel="implants", ylabel="aggregate throughput (Mbps)", title=f"{app.name}: per task"
    )
    ax2.set(xlabel="implants", ylabel="weighted throughput (Mbps)", title="priority-weighted")
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    with writing(path):
        fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
