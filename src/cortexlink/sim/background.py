"""Design of the background: the pink-noise filter, the LFP resonators, and the expected noise RMS."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.kernels import PINK_SECTIONS
from cortexlink.sim.population import Population, grid_shape

PINK_LOW_HZ = 1.0
#: (centre Hz, pole radius per second as a bandwidth in Hz, share of LFP power): delta, theta, beta
LFP_BANDS = ((2.0, 2.0, 0.5), (7.0, 2.0, 0.2), (20.0, 4.0, 0.3))
SPIKE_BAND_HZ = (300.0, 6000.0)


@dataclass
class PinkFilter:
    """Alternating first-order poles and zeros, one pair per decade, from 1 Hz up to 0.4 x rate
    (at most PINK_SECTIONS pairs; above that the spectrum flattens)."""

    poles: np.ndarray
    zeros: np.ndarray
    unit_rms: float   # RMS of the cascade's output for unit-variance white input

    def sos(self) -> np.ndarray:
        rows = [[1.0, -z, 0.0, 1.0, -p, 0.0] for p, z in zip(self.poles, self.zeros, strict=True)]
        return np.asarray(rows)

    def band_fraction(self, sample_rate: float, lo: float, hi: float) -> float:
        """Share of the output power between ``lo`` and ``hi`` Hz."""
        freqs = np.linspace(0, sample_rate / 2, 1 << 16)
        _, resp = signal.sosfreqz(self.sos(), worN=freqs, fs=sample_rate)
        power = np.abs(resp) ** 2
        band = (freqs >= lo) & (freqs <= hi)
        return float(power[band].sum() / power.sum())


def design_pink(sample_rate: float) -> PinkFilter:
    """The filter for ``sample_rate``, padded to PINK_SECTIONS sections (pole = zero = 0 passes)."""
    top = 0.4 * sample_rate
    n_sections = min(PINK_SECTIONS, max(0, int(math.floor(math.log10(top / PINK_LOW_HZ)))))
    pole_hz = PINK_LOW_HZ * 10.0 ** np.arange(n_sections)
    zero_hz = np.minimum(pole_hz * 10 ** 0.5, top)
    poles = np.zeros(PINK_SECTIONS)
    zeros = np.zeros(PINK_SECTIONS)
    poles[:n_sections] = np.exp(-2 * np.pi * pole_hz / sample_rate)
    zeros[:n_sections] = np.exp(-2 * np.pi * zero_hz / sample_rate)
    pf = PinkFilter(poles, zeros, 1.0)
    slowest = 1.0 / max(1e-12, 1.0 - poles.max())
    n = int(min(4e6, max(1024, 25 * slowest)))
    impulse = np.zeros(n)
    impulse[0] = 1.0
    h = signal.sosfilt(pf.sos(), impulse)
    pf.unit_rms = float(np.sqrt(np.sum(h * h)))
    return pf


def lfp_design(sample_rate: float) -> np.ndarray:
    """``(K, 3)`` AR(2) coefficients (a1, a2, input gain) for unit-variance resonators."""
    rows = []
    for centre, bandwidth, _ in LFP_BANDS:
        r = math.exp(-math.pi * bandwidth / sample_rate)
        w = 2 * math.pi * min(centre, 0.45 * sample_rate) / sample_rate
        a1, a2 = 2 * r * math.cos(w), -r * r
        # variance of y = a1 y1 + a2 y2 + e for unit-variance e
        var = (1 - a2) / ((1 + a2) * ((1 - a2) ** 2 - a1 * a1))
        rows.append((a1, a2, math.sqrt(3.0 / var)))   # e is uniform on [-1, 1]: variance 1/3
    return np.asarray(rows)


def lfp_weights(config: PopulationConfig, rng: np.random.Generator) -> np.ndarray:
    """``(n_channels, K)`` mixing weights: smooth random gradients over the electrode grid, so
    neighbouring electrodes see similar LFP, scaled to ``lfp_amplitude_uv`` RMS in total."""
    n_ch = config.n_channels
    k = len(LFP_BANDS)
    if not config.lfp or config.lfp_amplitude_uv == 0:
        return np.zeros((n_ch, k))
    rows, cols = grid_shape(n_ch)
    r, c = np.divmod(np.arange(n_ch), cols)
    x, y = c / max(cols, 1), r / max(rows, 1)
    out = np.zeros((n_ch, k))
    for j, (_, _, share) in enumerate(LFP_BANDS):
        angle, phase = rng.uniform(0, 2 * np.pi, 2)
        spatial = 0.75 + 0.25 * np.cos(2.0 * (np.cos(angle) * x + np.sin(angle) * y) + phase)
        out[:, j] = config.lfp_amplitude_uv * math.sqrt(share) * spatial
    return out


def channel_noise(config: PopulationConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel thermal and pink RMS in uV, spread by +-``noise_spread`` around the configured
    level (electrodes differ in impedance)."""
    spread = rng.uniform(1 - config.noise_spread, 1 + config.noise_spread, size=(2, config.n_channels))
    return config.thermal_noise_uv * spread[0], config.pink_noise_uv * spread[1]


def expected_noise_rms(config: PopulationConfig, pop: Population, pink: PinkFilter, thermal_uv: np.ndarray,
                       pink_uv: np.ndarray, band: tuple[float, float] | None = None) -> np.ndarray:
    """Expected RMS (uV) of the background without units or LFP: thermal + pink + hash.

    With ``band`` (Hz), only the power inside it (an ideal band-pass), from the spectra of the
    thermal noise, the pink filter and the hash events (shot noise: rate x |template spectrum|^2).
    """
    fs = config.sample_rate
    n = pop.mua_templates_uv.shape[1]
    nfft = max(1024, 1 << int(math.ceil(math.log2(4 * n))))
    spec = np.abs(np.fft.rfft(pop.mua_templates_uv, nfft, axis=1)) ** 2      # (K, nfft/2+1)
    freqs = np.fft.rfftfreq(nfft, 1 / fs)
    weights = np.full(freqs.shape, 2.0)
    weights[0] = 1.0
    if nfft % 2 == 0:
        weights[-1] = 1.0
    # E[amp^2] for amp uniform in [0.5, 1.5] x A: A^2 (1 + 1/12)
    amp2 = config.mua_amplitude_uv ** 2 * (1 + 1 / 12)
    energy = spec.mean(axis=0) * weights / nfft                            # Parseval, per bin
    if band is None:
        thermal_frac = pink_frac = 1.0
        mua_energy = energy.sum()
    else:
        lo, hi = band
        hi = min(hi, fs / 2)
        thermal_frac = max(0.0, hi - lo) / (fs / 2)
        pink_frac = pink.band_fraction(fs, lo, hi)
        sel = (freqs >= lo) & (freqs <= hi)
        mua_energy = energy[sel].sum()
    mua_var = config.mua_rate_hz * amp2 * mua_energy / fs
    var = thermal_uv ** 2 * thermal_frac + pink_uv ** 2 * pink_frac + mua_var
    return np.sqrt(var)
