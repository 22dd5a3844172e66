"""``MotorSimulator``: a motor-cortex implant as an endless stream of int16 chunks with ground truth.

The simulator advances in whole control periods (1 ms by default). Each period the task (or the
caller, in closed loop) gives an intended velocity, the units' cosine-tuned rates follow, spikes
are drawn, their waveforms are summed in fixed point with the multi-unit hash, and the analogue
background (thermal + pink noise + LFP) is added before the ADC rounds to counts. Random numbers
are indexed by what they are for (unit and spike number, channel and sample), so the output for a
seed does not depend on how it is read: ``stream`` in any chunk size equals ``simulate``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import kernels
from cortexlink.sim.background import (
    SPIKE_BAND_HZ,
    channel_noise,
    design_pink,
    expected_noise_rms,
    lfp_design,
    lfp_weights,
)
from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.logs import SpikeLog, VelocityLog
from cortexlink.sim.population import build_population, hash_rates, tuned_rates
from cortexlink.sim.rng import GAUSS, channel_keys, stream_key
from cortexlink.sim.spiking import DeadTimePoisson
from cortexlink.sim.tasks import make_task
from cortexlink.sim.truth import GroundTruth
from cortexlink.sim.waveforms import FIXED_POINT

HASH_DEAD_MS = 0.5


class SignalSource(Protocol):
    """Something added to a simulator's signal: a seizure, an electrode fault.

    ``rate_gain`` multiplies every unit's rate per control period (or returns None);
    ``render`` modifies a block of the analogue signal in uV in place, before the ADC.
    """

    def rate_gain(self, start_period: int, n_periods: int) -> np.ndarray | None: ...

    def render(self, start_sample: int, signal_uv: np.ndarray) -> None: ...


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


class MotorSimulator:
    """An endless, seeded motor-cortex recording.

    ``read(n)`` returns the next ``n`` samples, ``stream(chunk_ms)`` yields Chunks forever,
    ``set_intended_velocity(v)`` overrides the task's velocity from the next control period that
    has not been generated yet (with ``chunk_ms`` a whole number of control periods, that is the
    next chunk). ``truth()`` describes everything read so far; ``truth_window_s`` bounds how many
    seconds of spikes are remembered (None: all; older ones are dropped every quarter window,
    so up to 1.25 windows may remain).
    """

    def __init__(self, config: PopulationConfig | None = None, seed: int = 0, task: str | None = "center_out",
                 *, task_seed: int | None = None, truth_window_s: float | None = None, **overrides) -> None:
        config = PopulationConfig() if config is None else config
        if not isinstance(config, PopulationConfig):
            raise InvalidParameterError(
                f"config must be a PopulationConfig, got {type(config).__name__}; "
                "pass single settings as keyword arguments instead")
        if overrides:
            config = config.with_changes(**overrides)
        self.config = config
        self.seed = check_seed(seed)
        if truth_window_s is not None and not truth_window_s > 0:
            raise InvalidParameterError(f"truth_window_s must be positive or None, got {truth_window_s!r}")
        self.truth_window_s = truth_window_s
        ss_pop, ss_task, ss_spk, ss_mua, ss_noise, ss_lfp = np.random.SeedSequence(self.seed).spawn(6)
        rng = np.random.default_rng(ss_pop)
        self.population = pop = build_population(config, rng)
        self._thermal_uv, self._pink_uv = channel_noise(config, rng)
        self._lfp_weights = lfp_weights(config, rng)
        task_rng = np.random.default_rng(ss_task if task_seed is None else np.random.SeedSequence(
            check_seed(task_seed)))
        self.period_samples = config.control_period_samples
        self.task = make_task(task, task_rng, self.period_samples / config.sample_rate, config.max_speed)
        self.task_name = task
        self.sources: list[SignalSource] = []
        self._override: np.ndarray | None = None
        self._last_velocity = np.zeros(2)

        n_ch, n_units, fs = config.n_channels, pop.n_units, config.sample_rate
        self._keys = {name: stream_key(s) for name, s in
                      (("spk", ss_spk), ("mua", ss_mua), ("noise", ss_noise), ("lfp", ss_lfp))}
        self._units = DeadTimePoisson(n_units, self._keys["spk"], fs, config.refractory_samples)
        self._fp_offsets = pop.footprint_offsets()
        self._fp_templates = pop.footprint_fixed_point()
        # the hash: many distant neurons, so only a short dead time that keeps rate x dead < 0.2
        peak_hash_rate = max(config.mua_rate_hz * (1 + config.mua_modulation_depth), 1e-9)
        hash_dead = int(min(HASH_DEAD_MS * 1e-3 * fs, 0.2 * fs / peak_hash_rate))
        self._hash = DeadTimePoisson(n_ch, self._keys["mua"], fs, hash_dead)
        self._hash_shape_key = self._keys["mua"] ^ np.uint64(0xD1B54A32D192ED03)
        # background state
        self._pink = design_pink(fs)
        self._pink_gain = self._pink_uv / self._pink.unit_rms
        self._pink_state = np.zeros((n_ch, 2 * len(self._pink.poles)))
        self._noise_keys = channel_keys(self._keys["noise"], n_ch)
        self._lfp_coef = lfp_design(fs)
        self._lfp_state = np.zeros((len(self._lfp_coef), 2))
        self._carry = np.zeros((n_ch, pop.template_length), dtype=np.int32)
        self._noise_rms = expected_noise_rms(config, pop, self._pink, self._thermal_uv, self._pink_uv)
        self._band_rms = expected_noise_rms(config, pop, self._pink, self._thermal_uv, self._pink_uv,
                                            SPIKE_BAND_HZ)
        # position in the stream
        self._generated = 0          # samples generated
        self._emitted = 0            # samples handed out
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._spike_log = SpikeLog()
        self._velocity_log = VelocityLog()
        self._forgotten_at = 0

    # -- closed loop -----------------------------------------------------------------------
    def set_intended_velocity(self, velocity: np.ndarray | tuple[float, float] | None) -> None:
        """Drive the units with this 2-D velocity (cm/s) instead of the task's; None hands back."""
        if velocity is None:
            self._override = None
            return
        v = np.asarray(velocity, dtype=np.float64).reshape(-1)
        if v.shape != (2,) or not np.isfinite(v).all():
            raise InvalidParameterError(
                f"intended velocity must be two finite numbers (vx, vy), got {velocity!r}")
        self._override = v.copy()

    @property
    def current_velocity(self) -> np.ndarray:
        """The intended velocity in force: the caller's if set, else the task's latest."""
        return (self._override if self._override is not None else self._last_velocity).copy()

    def add_source(self, source: SignalSource) -> None:
        """Add a seizure, fault or other signal source; it acts on what is generated from now on."""
        self.sources.append(source)

    # -- reading ---------------------------------------------------------------------------
    @property
    def n_channels(self) -> int:
        return self.config.n_channels

    @property
    def sample_rate(self) -> float:
        return self.config.sample_rate

    @property
    def samples_read(self) -> int:
        return self._emitted

    def read(self, n_samples: int) -> np.ndarray:
        """The next ``n_samples`` of the recording as int16 counts ``(n_channels, n_samples)``."""
        n = int(n_samples)
        if n < 0:
            raise InvalidParameterError(f"cannot read a negative number of samples ({n_samples})")
        if self._pending_len < n:
            need = n - self._pending_len
            periods = -(-need // self.period_samples)
            self._pending.append(self._generate(periods))
            self._pending_len += periods * self.period_samples
        data = self._pending[0] if len(self._pending) == 1 else np.concatenate(self._pending, axis=1)
        out, rest = data[:, :n], data[:, n:]
        self._pending = [rest] if rest.shape[1] else []
        self._pending_len = rest.shape[1]
        self._emitted += n
        return np.ascontiguousarray(out)

    def stream(self, chunk_ms: float = 1.0) -> Iterator[Chunk]:
        """Chunks of ``chunk_ms`` (rounded to whole samples) forever, ``origin_ns`` stamped when made."""
        try:
            chunk = int(round(float(chunk_ms) * 1e-3 * self.sample_rate))
        except (TypeError, ValueError):
            raise InvalidParameterError(f"chunk_ms must be a number, got {chunk_ms!r}") from None
        if chunk < 1:
            raise InvalidParameterError(
                f"chunk_ms={chunk_ms} is less than one sample at {self.sample_rate:g} Hz; use a longer chunk"
            )
        while True:
            start = self._emitted
            data = self.read(chunk)
            yield Chunk(data, start, self.sample_rate, time.monotonic_ns())

    # -- ground truth ----------------------------------------------------------------------
    def spikes_since(self, sample: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Spike (trough) samples and units in ``[sample, samples read)``."""
        return self._spike_log.since(int(sample), self._emitted)

    def truth(self) -> GroundTruth:
        """Ground truth of everything read so far."""
        pop, cfg = self.population, self.config
        samples, units = self._spike_log.since(0, self._emitted)
        n_periods = -(-self._emitted // self.period_samples)
        velocity = self._velocity_log.first(n_periods)
        events = [(p, x, y) for p, x, y in self.task.target_events if p < n_periods]
        return GroundTruth(
            sample_rate=cfg.sample_rate,
            spike_samples=samples, spike_units=units,
            unit_channels=pop.unit_channels.copy(), templates_uv=pop.templates_uv.copy(),
            trough_index=pop.trough_index, footprint_units=pop.footprint_units.copy(),
            footprint_channels=pop.footprint_channels.copy(), footprint_scales=pop.footprint_scales.copy(),
            baseline_rates_hz=pop.baseline_rates_hz.copy(),
            preferred_directions=pop.preferred_directions.copy(),
            modulation_depths=pop.modulation_depths.copy(), max_speed=cfg.max_speed,
            refractory_samples=cfg.refractory_samples, control_period_samples=self.period_samples,
            velocity=np.ascontiguousarray(velocity),
            target_times=np.array([p * self.period_samples / cfg.sample_rate for p, _, _ in events]),
            target_positions=np.array([(x, y) for _, x, y in events]).reshape(-1, 2),
            noise_rms_uv=self._noise_rms.copy(), spike_band_noise_rms_uv=self._band_rms.copy(),
            n_samples=self._emitted, mua_rate_hz=cfg.mua_rate_hz,
            mua_preferred_directions=pop.mua_preferred_directions.copy(),
            mua_modulation_depths=pop.mua_modulation_depths.copy(),
        )

    # -- generation ------------------------------------------------------------------------
    def _generate(self, n_periods: int) -> np.ndarray:
        cfg, pop = self.config, self.population
        ps = self.period_samples
        start = self._generated
        n = n_periods * ps
        first_period = start // ps

        velocity = self._velocity(n_periods)
        rates = tuned_rates(pop, velocity, cfg.max_speed)
        hash_rates_hz = hash_rates(pop, velocity, cfg.max_speed, cfg.mua_rate_hz)
        for src in self.sources:
            gain = src.rate_gain(first_period, n_periods)
            if gain is not None:
                rates *= gain[None, :]
                hash_rates_hz *= gain[None, :]
        onsets, units = self._units.onsets(rates, ps, start)
        hash_onsets, hash_channels = self._hash.onsets(hash_rates_hz, ps, start, sort=False)

        length = pop.template_length
        acc = np.zeros((cfg.n_channels, n + length), dtype=np.int32)
        acc[:, :length] = self._carry
        kernels.place_templates(acc, start, onsets, units, onsets.size, self._fp_offsets,
                                pop.footprint_channels, self._fp_templates)
        kernels.place_mua(acc, start, hash_onsets, hash_channels, hash_onsets.size, self._hash_shape_key,
                          cfg.mua_amplitude_uv, pop.mua_templates_uv, FIXED_POINT)
        self._carry = acc[:, n:].copy()

        lfp = np.zeros((len(self._lfp_coef), n))
        if cfg.lfp:
            kernels.lfp_sources(lfp, start, self._keys["lfp"], self._lfp_coef, self._lfp_state)
        signal_uv = np.empty((cfg.n_channels, n), dtype=np.float32)
        kernels.background(signal_uv, acc, start, self._noise_keys, GAUSS, self._thermal_uv,
                           self._pink_gain, self._pink.poles, self._pink.zeros, self._pink_state, lfp,
                           self._lfp_weights, 1.0 / FIXED_POINT)
        for src in self.sources:
            src.render(start, signal_uv)
        out = np.empty((cfg.n_channels, n), dtype=np.int16)
        kernels.quantize(signal_uv, 1.0 / cfg.gain_uv, out)

        self._spike_log.append(onsets + pop.trough_index, units)
        self._velocity_log.append(velocity)
        self._generated += n
        self._forget_old_truth()
        return out

    def _velocity(self, n_periods: int) -> np.ndarray:
        task_v = self.task.advance(n_periods)
        if self._override is not None:
            v = np.repeat(self._override[:, None], n_periods, axis=1)
        else:
            v = task_v
        if n_periods:
            self._last_velocity = task_v[:, -1].copy()
        return np.ascontiguousarray(v, dtype=np.float64)

    def _forget_old_truth(self) -> None:
        if self.truth_window_s is None:
            return
        window = int(self.truth_window_s * self.sample_rate)
        if self._generated - self._forgotten_at >= max(1, window // 4):
            self._spike_log.forget_before(self._generated - window)
            self._forgotten_at = self._generated
