"""The units an implant records: where they sit, what they look like and how they are tuned."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.waveforms import random_waveforms, to_fixed_point, trough_index

N_MUA_TEMPLATES = 8


@dataclass
class Population:
    """Units of one implant, with their footprints on the electrodes.

    ``footprint_*`` list every (unit, channel, scale) pair a unit's template is added to: its own
    electrode at scale 1 and, for some units, a neighbour at a smaller scale.
    """

    unit_channels: np.ndarray          # (n_units,) int32 primary electrode
    templates_uv: np.ndarray           # (n_units, L) float64 on the primary electrode
    baseline_rates_hz: np.ndarray      # (n_units,)
    preferred_directions: np.ndarray   # (n_units,) radians
    modulation_depths: np.ndarray      # (n_units,) fraction of baseline at max_speed
    footprint_units: np.ndarray        # (n_fp,) int32
    footprint_channels: np.ndarray     # (n_fp,) int32
    footprint_scales: np.ndarray       # (n_fp,) float64
    trough_index: int                  # template sample of the trough (= the spike time)
    mua_templates_uv: np.ndarray       # (N_MUA_TEMPLATES, L) unit-amplitude hash shapes
    mua_preferred_directions: np.ndarray   # (n_channels,) radians
    mua_modulation_depths: np.ndarray      # (n_channels,)

    @property
    def n_units(self) -> int:
        return int(self.unit_channels.shape[0])

    @property
    def template_length(self) -> int:
        return int(self.templates_uv.shape[1])

    def footprint_fixed_point(self) -> np.ndarray:
        """(n_fp, L) int32 templates, each scaled for its channel, for the placement kernel."""
        return to_fixed_point(self.templates_uv[self.footprint_units] * self.footprint_scales[:, None])

    def footprint_offsets(self) -> np.ndarray:
        """(n_units + 1,) start of each unit's rows in the footprint arrays (they are sorted by unit)."""
        return np.searchsorted(self.footprint_units, np.arange(self.n_units + 1)).astype(np.int64)


def grid_shape(n_channels: int) -> tuple[int, int]:
    """Rows and columns of the square-ish grid the electrodes are laid out on (Utah-array style)."""
    cols = int(math.ceil(math.sqrt(n_channels)))
    return int(math.ceil(n_channels / cols)), cols


def grid_neighbours(channel: int, n_channels: int) -> list[int]:
    """Electrodes adjacent to ``channel`` on the grid (4-neighbourhood)."""
    _, cols = grid_shape(n_channels)
    r, c = divmod(channel, cols)
    out = []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        rr, cc = r + dr, c + dc
        k = rr * cols + cc
        if 0 <= cc < cols and rr >= 0 and k < n_channels:
            out.append(k)
    return out


def build_population(config: PopulationConfig, rng: np.random.Generator) -> Population:
    """Draw units for every electrode according to ``config``."""
    n_ch = config.n_channels
    counts = rng.choice(len(config.unit_count_probs), size=n_ch, p=np.asarray(config.unit_count_probs))
    unit_channels = np.repeat(np.arange(n_ch, dtype=np.int32), counts)
    n_units = int(unit_channels.shape[0])
    fs = config.sample_rate
    templates = random_waveforms(rng, n_units, fs, config.amplitude_range_uv,
                                 config.waveform_width_ms_range, config.triphasic_fraction)
    _separate_shared_electrodes(templates, unit_channels, rng, config)
    baseline = rng.uniform(*config.baseline_rate_range, size=n_units)
    directions = rng.uniform(-np.pi, np.pi, size=n_units)
    depths = rng.uniform(*config.modulation_depth_range, size=n_units)

    fp_units, fp_channels, fp_scales = [], [], []
    for u in range(n_units):
        fp_units.append(u)
        fp_channels.append(int(unit_channels[u]))
        fp_scales.append(1.0)
        if rng.random() < config.spread_fraction:
            neighbours = grid_neighbours(int(unit_channels[u]), n_ch)
            if neighbours:
                fp_units.append(u)
                fp_channels.append(int(rng.choice(neighbours)))
                fp_scales.append(float(rng.uniform(0.2, 0.5)))

    mua = random_waveforms(rng, N_MUA_TEMPLATES, fs, (1.0, 1.0), config.waveform_width_ms_range, 0.3)
    # the hash comes from the same neighbourhood: tuned towards the electrode's units, if any
    mua_dirs = rng.uniform(-np.pi, np.pi, size=n_ch)
    for ch in np.unique(unit_channels):
        mine = directions[unit_channels == ch]
        mua_dirs[ch] = float(np.angle(np.exp(1j * mine).sum() + 1e-9 * np.exp(1j * mua_dirs[ch])))
    mua_depths = config.mua_modulation_depth * rng.uniform(0.5, 1.0, size=n_ch)
    return Population(
        unit_channels=unit_channels,
        templates_uv=templates,
        baseline_rates_hz=baseline,
        preferred_directions=directions,
        modulation_depths=depths,
        footprint_units=np.asarray(fp_units, dtype=np.int32),
        footprint_channels=np.asarray(fp_channels, dtype=np.int32),
        footprint_scales=np.asarray(fp_scales, dtype=np.float64),
        trough_index=trough_index(fs),
        mua_templates_uv=mua,
        mua_preferred_directions=mua_dirs,
        mua_modulation_depths=mua_depths,
    )


#: units sharing an electrode differ by at least this fraction of the larger template's norm
MIN_RELATIVE_DISTANCE = 0.25


def _separate_shared_electrodes(templates: np.ndarray, unit_channels: np.ndarray, rng: np.random.Generator,
                                config: PopulationConfig, tries: int = 50) -> None:
    """Redraw a unit whose template is too close to another on its electrode, so that units
    recorded together can be told apart (as a sorter would need)."""
    for u in range(1, templates.shape[0]):
        same = np.flatnonzero(unit_channels[:u] == unit_channels[u])
        for _ in range(tries):
            if all(_relative_distance(templates[u], templates[v]) >= MIN_RELATIVE_DISTANCE for v in same):
                break
            templates[u] = random_waveforms(rng, 1, config.sample_rate, config.amplitude_range_uv,
                                            config.waveform_width_ms_range, config.triphasic_fraction)[0]


def _relative_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-12))


def cosine_rates(baseline_hz: np.ndarray, directions: np.ndarray, depths: np.ndarray, velocity: np.ndarray,
                 max_speed: float) -> np.ndarray:
    """Cosine-tuned rates ``(n, n_periods)`` in Hz for velocities ``(2, n_periods)``.

    rate = baseline * (1 + depth * (v . d) / max_speed), floored at zero; at zero velocity every
    process runs at its baseline, and over directions that average out the mean is the baseline.
    """
    dx = np.cos(directions)[:, None]
    dy = np.sin(directions)[:, None]
    proj = (dx * velocity[0][None, :] + dy * velocity[1][None, :]) / max_speed
    rates = np.asarray(baseline_hz, dtype=np.float64).reshape(-1, 1) * (1.0 + depths[:, None] * proj)
    return np.maximum(rates, 0.0)


def tuned_rates(pop: Population, velocity: np.ndarray, max_speed: float) -> np.ndarray:
    """The units' rates ``(n_units, n_periods)`` for velocities ``(2, n_periods)``."""
    return cosine_rates(pop.baseline_rates_hz, pop.preferred_directions, pop.modulation_depths, velocity,
                        max_speed)


def hash_rates(pop: Population, velocity: np.ndarray, max_speed: float, rate_hz: float) -> np.ndarray:
    """Each electrode's hash event rate ``(n_channels, n_periods)``."""
    base = np.full(pop.mua_preferred_directions.shape[0], float(rate_hz))
    return cosine_rates(base, pop.mua_preferred_directions, pop.mua_modulation_depths, velocity, max_speed)
