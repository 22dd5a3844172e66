"""Figures of a seizure evaluation: each recording's probability trace with true and detected onsets."""

from __future__ import annotations

import re
from pathlib import Path

from cortexlink.core.optional import pyplot
from cortexlink.core.paths import writable_folder, writing
from cortexlink.seizure.evaluate import Evaluation


def plot_evaluation(evaluation: Evaluation, out_dir: str | Path) -> list[Path]:
    """Write ``<recording>.png`` per recording to ``out_dir`` (created if missing); returns the files."""
    out = writable_folder(out_dir)
    out.mkdir(exist_ok=True)
    plt = pyplot()
    written = []
    for r in evaluation.results:
        fig, ax = plt.subplots(figsize=(10, 2.6))
        ax.plot(r.end_times, r.probs.max(axis=1), color="tab:red", lw=1.0, label="highest channel")
        ax.plot(r.end_times, r.probs.mean(axis=1), color="black", lw=0.8, label="channel mean")
        for on, off in r.seizures:
            ax.axvspan(on, off, color="tab:orange", alpha=0.2, label="seizure (truth)")
        for ev in r.events:
            ax.axvline(ev.detect_time, color="tab:blue", ls="--", lw=1.0, label="detected")
        handles, labels = ax.get_legend_handles_labels()
        keep = dict(zip(labels, handles, strict=True))
        ax.legend(keep.values(), keep.keys(), loc="upper left", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("P(seizure)")
        ax.set_title(r.name, fontsize=9)
        path = out / (re.sub(r"[^A-Za-z0-9_.+-]", "_", r.name) + ".png")
        with writing(path):
            fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written
