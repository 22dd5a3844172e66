"""A picture of a simulated recording: traces with their true spikes, a raster, the behaviour."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.optional import pyplot
from cortexlink.sim.truth import SimResult


def plot_simulation(result: SimResult, path: str | Path, window_s: float = 0.5, n_traces: int = 8) -> Path:
    """Write a PNG: ``n_traces`` electrodes that record units over the first ``window_s`` seconds
    (true spikes marked in their unit's colour), the raster of all units, and the velocity."""
    plt = pyplot()
    rec, truth = result.recording, result.truth
    fs = rec.sample_rate
    n = min(rec.n_samples, max(1, int(window_s * fs)))
    t = np.arange(n) / fs
    with_units = np.unique(truth.unit_channels)
    channels = (with_units if with_units.size else np.arange(rec.n_channels))[:n_traces]
    uv = rec.data[channels, :n].astype(np.float32) * rec.gain_uv
    uv -= np.median(uv, axis=1, keepdims=True)
    step = 0.8 * float(np.ptp(uv, axis=1).max()) if uv.size else 1.0
    colours = plt.get_cmap("tab20")

    fig, axes = plt.subplots(3, 1, figsize=(11, 9), height_ratios=[3, 2, 1.2])
    ax = axes[0]
    for row, ch in enumerate(channels):
        ax.plot(t, uv[row] - row * step, lw=0.5, color="0.25")
        for unit in np.flatnonzero(truth.unit_channels == ch):
            s = truth.spikes_of(unit)
            s = s[s < n]
            ax.plot(s / fs, uv[row, s] - row * step, "v", ms=4, color=colours(unit % 20))
    ax.set_yticks([-row * step for row in range(len(channels))], [f"ch {c}" for c in channels])
    ax.set_xlabel("s")
    ax.set_title(f"site {rec.site}: {rec.n_channels} channels, {truth.n_units} units, "
                 f"{truth.spike_samples.size} spikes in {rec.duration:g} s (true spikes marked)")

    ax = axes[1]
    sel = truth.spike_samples < n
    ax.scatter(truth.spike_samples[sel] / fs, truth.spike_units[sel], s=2,
               c=[colours(u % 20) for u in truth.spike_units[sel]])
    ax.set_ylabel("unit")
    ax.set_xlim(0, n / fs)
    ax.set_xlabel("s")

    ax = axes[2]
    ax.plot(truth.velocity_times, truth.velocity[0], lw=0.8, label="vx")
    ax.plot(truth.velocity_times, truth.velocity[1], lw=0.8, label="vy")
    ax.set_ylabel("velocity (cm/s)")
    ax.set_xlabel("s")
    ax.legend(loc="upper right")

    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
