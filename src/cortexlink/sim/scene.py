"""Multi-site scenes: K implants with their own populations, one subject's behaviour, seizures that
start at one site and spread to the others with set delays, and electrode faults."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.faults import FAULT_KINDS, Fault, FaultSource
from cortexlink.sim.motor import MotorSimulator, check_seed
from cortexlink.sim.offline import block_sizes, n_samples_for, record
from cortexlink.sim.population import grid_shape
from cortexlink.sim.seizure import SeizureEpisode
from cortexlink.sim.truth import GroundTruth, SimResult

DEFAULT_HOP_DELAY_S = 1.0


@dataclass
class SceneTruth:
    """Scene-level truth: where and when the seizure was, and which electrodes failed how."""

    sites: list[str]
    seizure_onset_site: str | None = None
    seizure_onsets_s: dict[str, float] = field(default_factory=dict)
    seizure_offsets_s: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    # episodes that run past the end of a recording: (onset, offset) of the whole episode (s)
    seizure_beyond_end_s: dict[str, tuple[float, float]] = field(default_factory=dict)

    def faults_at(self, site: str) -> list[Fault]:
        return [f for f in self.faults if f.site == site]

    def within(self, seconds: float) -> SceneTruth:
        """The truth of a recording of ``seconds``: seizures cut at its end and sites the seizure has
        not reached by then left out; each such episode's full times in ``seizure_beyond_end_s``."""
        onsets, offsets, beyond = {}, {}, dict(self.seizure_beyond_end_s)
        for site, onset in self.seizure_onsets_s.items():
            offset = self.seizure_offsets_s[site]
            if offset > seconds:
                beyond[site] = (onset, offset)
            if onset < seconds:
                onsets[site], offsets[site] = onset, min(offset, seconds)
        return replace(self, seizure_onsets_s=onsets, seizure_offsets_s=offsets, faults=list(self.faults),
                       seizure_beyond_end_s=beyond)


@dataclass
class SceneResult:
    """One ``SimResult`` per named site, and the scene's truth."""

    sites: dict[str, SimResult]
    truth: SceneTruth

    @property
    def recordings(self) -> dict[str, Recording]:
        return {name: r.recording for name, r in self.sites.items()}

    @property
    def truths(self) -> dict[str, GroundTruth]:
        return {name: r.truth for name, r in self.sites.items()}


class SceneSimulator:
    """The simulators of every site of a scene, wired with its seizure and faults; each site can
    be read or streamed on its own (``simulators[name].stream()``), or ``record()`` reads
    ``seconds`` of all of them. Seizure timing defaults: onset a quarter of the way into
    ``seconds``, lasting 40% of it."""

    def __init__(self, n_sites: int = 2, channels_per_site: int = 32, sample_rate: float = 30000.0,
                 seed: int = 0, task: str | None = "center_out", *, seizure: bool = False,
                 seizure_onset_site: int = 0, seizure_onset_s: float | None = None,
                 seizure_duration_s: float | None = None,
                 spread_delays_s: float | Sequence[float] | None = None,
                 faults: bool | int | Sequence[Fault | dict] | None = None, seconds: float = 10.0,
                 **config_fields) -> None:
        if isinstance(n_sites, bool) or not isinstance(n_sites, int) or n_sites < 1:
            raise InvalidParameterError(f"n_sites must be a whole number of at least 1, got {n_sites!r}")
        seed = check_seed(seed)
        config = PopulationConfig().with_changes(n_channels=channels_per_site, sample_rate=sample_rate,
                                                 **config_fields)
        self.config = config
        self.n_samples = n_samples_for(seconds, config.sample_rate)
        seconds = self.n_samples / config.sample_rate
        onset = 0.25 * seconds if seizure_onset_s is None else float(seizure_onset_s)
        duration = 0.4 * seconds if seizure_duration_s is None else float(seizure_duration_s)
        self.site_names = [f"site{k}" for k in range(n_sites)]
        ss_sites, ss_task, ss_scene = np.random.SeedSequence(seed).spawn(3)
        site_seeds = [int(s) for s in ss_sites.generate_state(n_sites)]
        task_seed = int(ss_task.generate_state(1)[0])
        rng = np.random.default_rng(ss_scene)
        self.simulators = {name: MotorSimulator(config, seed=s, task=task, task_seed=task_seed)
                           for name, s in zip(self.site_names, site_seeds, strict=True)}
        self.truth = SceneTruth(sites=list(self.site_names))
        if seizure:
            self._add_seizure(rng, seizure_onset_site, onset, duration, spread_delays_s)
        for fault in self._faults(rng, faults):
            self.simulators[fault.site].add_source(FaultSource(fault, config.sample_rate, config.gain_uv))
            self.truth.faults.append(fault)

    def set_intended_velocity(self, velocity: np.ndarray | tuple[float, float] | None) -> None:
        """Closed loop for the whole subject: every site's units follow this velocity (None: the task)."""
        for sim in self.simulators.values():
            sim.set_intended_velocity(velocity)

    def record(self, blocks: Callable[[str, list[int]], Iterable[int]] | None = None) -> SceneResult:
        """Read ``n_samples`` from every site; ``blocks(site, sizes)`` may wrap the block sizes
        (in a progress bar, say). The truth returned is that of the recording (``SceneTruth.within``)."""
        results = {}
        truth = self.truth.within(self.n_samples / self.config.sample_rate)
        for name, sim in self.simulators.items():
            sizes = block_sizes(sim, self.n_samples)
            wrapped = None if blocks is None else blocks(name, sizes)
            result = record(sim, self.n_samples, site=name, blocks=wrapped)
            result.truth.extra["seizure_onset_s"] = truth.seizure_onsets_s.get(name)
            result.truth.extra["seizure_offset_s"] = truth.seizure_offsets_s.get(name)
            result.truth.extra["faults"] = truth.faults_at(name)
            results[name] = result
        return SceneResult(results, truth)

    def _add_seizure(self, rng: np.random.Generator, onset_site: int, onset_s: float, duration_s: float,
                     delays: float | Sequence[float] | None) -> None:
        n = len(self.site_names)
        if isinstance(onset_site, bool) or not isinstance(onset_site, int) or not 0 <= onset_site < n:
            raise InvalidParameterError(
                f"seizure_onset_site must be a site index in 0..{n - 1}, got {onset_site!r}")
        if delays is None or np.ndim(delays) == 0:
            hop = DEFAULT_HOP_DELAY_S if delays is None else float(delays)
            delays = [hop * abs(k - onset_site) for k in range(n)]
        delays = [float(d) for d in delays]
        if len(delays) != n or any(not math.isfinite(d) or d < 0 for d in delays):
            raise InvalidParameterError(
                f"spread_delays_s must give one non-negative delay (s) per site ({n}), got {delays!r}")
        if delays[onset_site] != 0:
            raise InvalidParameterError(
                f"the onset site {onset_site} must have delay 0 in spread_delays_s, got {delays[onset_site]}")
        cfg = self.config
        rows, cols = grid_shape(cfg.n_channels)
        r, c = np.divmod(np.arange(cfg.n_channels), cols)
        self.truth.seizure_onset_site = self.site_names[onset_site]
        for name, delay in zip(self.site_names, delays, strict=True):
            centre = rng.uniform(0, [rows, cols])
            dist = np.hypot(r - centre[0], c - centre[1]) / max(rows, cols)
            weights = 1.0 - 0.5 * np.clip(dist, 0.0, 1.0)
            episode = SeizureEpisode(onset_s=onset_s + delay, duration_s=duration_s,
                                     sample_rate=cfg.sample_rate, channel_weights=weights,
                                     period_samples=cfg.control_period_samples,
                                     start_hz=float(rng.uniform(10, 18)), end_hz=float(rng.uniform(3, 6)),
                                     amplitude_uv=float(rng.uniform(300, 700)))
            self.simulators[name].add_source(episode)
            self.truth.seizure_onsets_s[name] = episode.onset_s
            self.truth.seizure_offsets_s[name] = episode.offset_s

    def _faults(self, rng: np.random.Generator, faults) -> list[Fault]:
        if faults is None or faults is False:
            return []
        n_ch = self.config.n_channels
        if faults is True or (isinstance(faults, int) and not isinstance(faults, bool)):
            count = len(FAULT_KINDS) if faults is True else int(faults)
            if count < 0:
                raise InvalidParameterError(f"number of faults must not be negative, got {faults}")
            out, used = [], set()
            for k in range(count):
                site = self.site_names[int(rng.integers(len(self.site_names)))]
                channel = int(rng.integers(n_ch))
                if (site, channel) in used and len(used) < len(self.site_names) * n_ch:
                    free = [(s, ch) for s in self.site_names for ch in range(n_ch) if (s, ch) not in used]
                    site, channel = free[int(rng.integers(len(free)))]
                used.add((site, channel))
                out.append(Fault(FAULT_KINDS[k % len(FAULT_KINDS)], site, channel,
                                 start_s=float(rng.uniform(0.0, 1.0))))
            return out
        out = []
        for f in faults:
            fault = f if isinstance(f, Fault) else _fault_from(f)
            if isinstance(fault.site, str) and fault.site.isdigit():
                index = int(fault.site)
                fault.site = self.site_names[index] if index < len(self.site_names) else fault.site
            if fault.site not in self.simulators:
                raise InvalidParameterError(
                    f"fault names site {fault.site!r}; this scene has {self.site_names}")
            if fault.channel >= n_ch:
                raise InvalidParameterError(
                    f"fault channel {fault.channel} is out of range: sites have {n_ch} channels")
            out.append(fault)
        return out


def _fault_from(spec) -> Fault:
    if not isinstance(spec, dict):
        raise InvalidParameterError(f"a fault is a Fault or a dict of its fields, got {spec!r}")
    try:
        return Fault(**spec)
    except TypeError:
        raise InvalidParameterError(
            f"fault {spec!r} needs kind, site and channel, and may give start_s, ramp_s, final_gain, "
            "offset_uv") from None


def simulate_scene(n_sites: int = 2, channels_per_site: int = 32, seconds: float = 10.0,
                   sample_rate: float = 30000.0, seizure: bool = False, seizure_onset_site: int = 0,
                   seizure_onset_s: float | None = None, seizure_duration_s: float | None = None,
                   spread_delays_s: float | Sequence[float] | None = None,
                   faults: bool | int | Sequence[Fault | dict] | None = None, seed: int = 0,
                   task: str | None = "center_out", **config_fields) -> SceneResult:
    """Simulate ``n_sites`` implants for ``seconds``; sites are named ``site0``, ``site1``, ...

    With ``seizure``, an episode starts at ``seizure_onset_site`` at ``seizure_onset_s`` (default a
    quarter of the way in) and reaches site k ``spread_delays_s[k]`` seconds later (a number:
    that delay per site of distance; default 1 s per site). ``faults``: True for one fault of each
    kind on random electrodes, an int for that many, or a list of ``Fault`` (or dicts of its fields).
    """
    scene = SceneSimulator(n_sites, channels_per_site, sample_rate, seed, task, seizure=seizure,
                           seizure_onset_site=seizure_onset_site, seizure_onset_s=seizure_onset_s,
                           seizure_duration_s=seizure_duration_s, spread_delays_s=spread_delays_s,
                           faults=faults, seconds=seconds, **config_fields)
    return scene.record()
