"""Figures of a decoder evaluation: true vs cross-validated decoded kinematics, and R^2 per decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.optional import pyplot
from cortexlink.core.paths import writable_folder
from cortexlink.decode.evaluate import Evaluation

MAX_BINS_SHOWN = 600


def plot_evaluation(evaluation: Evaluation, out_dir: str | Path) -> list[Path]:
    """Write ``decoded_<decoder>.png`` per regression decoder and ``r2.png`` to ``out_dir``
    (created if missing; its parent must exist); returns the files written."""
    out = writable_folder(out_dir)
    scores = evaluation.regression
    if not scores:
        return []
    plt = pyplot()
    out.mkdir(exist_ok=True)
    names = evaluation.output_names
    span = slice(0, min(evaluation.n_bins, MAX_BINS_SHOWN))
    t = np.arange(evaluation.n_bins)[span] * (evaluation.bin_width or 1.0)
    written = []
    for score in scores:
        cv = score.cv
        fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.4 * len(names)), sharex=True, squeeze=False)
        for i, (ax, o) in enumerate(zip(axes[:, 0], names, strict=True)):
            ax.plot(t, cv.Y_true[i, span], color="black", lw=1.2, label="true")
            ax.plot(t, cv.Y_pred[i, span], color="tab:red", lw=1.0, label=f"{score.decoder} (CV)")
            ax.set_ylabel(o)
            ax.set_title(f"R^2 {cv.r2[i]:.3f}", fontsize=9, loc="right")
        axes[0, 0].legend(loc="upper left", fontsize=8)
        axes[-1, 0].set_xlabel("time (s)" if evaluation.bin_width else "bin")
        written.append(_save(plt, fig, out / f"decoded_{score.decoder}.png"))
    means = [float(s.r2.mean()) for s in scores]
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(scores), 3.2))
    ax.bar([s.decoder for s in scores], means, color="tab:blue")
    for i, m in enumerate(means):
        ax.text(i, m, f"{m:.3f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("R^2 (mean over outputs)")
    ax.set_ylim(min(0.0, *means), 1.0)
    ax.set_title(Path(evaluation.source).name, fontsize=9)
    written.append(_save(plt, fig, out / "r2.png"))
    return written


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
