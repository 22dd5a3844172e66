"""One PNG of a sorting: each unit's template on its main channel, spike amplitudes over time, and
(given a ground-truth comparison and the true units' SNR) accuracy against SNR."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.optional import pyplot
from cortexlink.core.paths import writable_target, writing
from cortexlink.sort.compare import Comparison
from cortexlink.sort.sorting import Sorting

_MAX_POINTS = 20000  # amplitude scatter


def plot_sorting(sorting: Sorting, path: str | Path, snr: np.ndarray | None = None,
                 comparison: Comparison | None = None, truth_snr: np.ndarray | None = None) -> Path:
    """Write the figure to ``path`` and return it."""
    target = writable_target(path)
    plt = pyplot()
    panels = 3 if comparison is not None and truth_snr is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    colours = plt.get_cmap("tab20")(np.arange(max(sorting.n_units, 1)) % 20)
    ax = axes[0]
    if sorting.templates.size:
        t_ms = (np.arange(sorting.templates.shape[2]) - sorting.template_peak) / sorting.sample_rate * 1e3
        for k in range(sorting.n_units):
            label = f"{sorting.unit_ids[k]}" + (f" (SNR {snr[k]:.1f})" if snr is not None else "")
            main = max(sorting.unit_channels[k], 0)
            ax.plot(t_ms, sorting.templates[k, main], color=colours[k], label=label)
        ax.legend(fontsize=6, ncol=2)
    ax.set(title="templates (main channel)", xlabel="ms", ylabel="uV")
    ax = axes[1]
    pick = np.arange(sorting.n_spikes)
    if pick.size > _MAX_POINTS:
        pick = np.random.default_rng(0).choice(pick, _MAX_POINTS, replace=False)
    ax.scatter(sorting.spike_samples[pick] / sorting.sample_rate, sorting.amplitudes[pick], s=2,
               c=colours[sorting.unit_index()[pick]])
    ax.set(title="amplitudes over time", xlabel="s", ylabel="uV")
    if panels == 3:
        ax = axes[2]
        ax.scatter(truth_snr, comparison.accuracy, color="black")
        ax.set(title="accuracy per true unit", xlabel="SNR", ylabel="accuracy", ylim=(-0.05, 1.05))
    fig.tight_layout()
    with writing(target):
        fig.savefig(target, dpi=100)
    plt.close(fig)
    return target
