"""Numba kernels of the simulator's hot loops: spike times, template placement, background, ADC.

All of them work on a block of whole control periods starting at ``block_start`` and carry their
state in arrays the caller keeps, so any sequence of blocks gives the same samples. Spike
templates are summed in int32 fixed point (exact, order-free); the analogue background is a
per-sample function of counter-based random numbers and filter state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from cortexlink.sim.rng import GOLDEN, gauss_from, hash2, mix64, uniform_open

PINK_SECTIONS = 5


@njit(cache=True)
def unit_spike_onsets(hazard_per_sample, period_samples, block_start, key, hazard, threshold,
                      resume_at, counter, refractory, out_onsets, out_units):
    """Poisson spiking with a dead time, by time rescaling, one unit at a time.

    ``hazard_per_sample[u, p]`` is unit u's hazard during period p of the block. A unit fires at
    the first sample at which its hazard accumulated since ``resume_at`` reaches an Exp(1)
    threshold; it then accumulates nothing for ``refractory`` samples. State per unit: the hazard
    so far, the threshold, where accumulation resumes, and its spike counter (which indexes its
    random numbers). Returns how many onsets were written (sorted by unit, then time).
    """
    n_units, n_periods = hazard_per_sample.shape
    m = 0
    for u in range(n_units):
        h = hazard[u]
        th = threshold[u]
        ru = resume_at[u]
        k = counter[u]
        for p in range(n_periods):
            a = block_start + p * period_samples
            b = a + period_samples
            r = hazard_per_sample[u, p]
            t = a if ru <= a else ru
            while t < b and r > 0.0:
                need = (th - h) / r
                if need > b - t:
                    h += r * (b - t)
                    break
                n = int(math.ceil(need))
                if n < 1:
                    n = 1
                s = t + n - 1
                if s >= b:
                    h += r * (b - t)
                    break
                out_onsets[m] = s
                out_units[m] = u
                m += 1
                k += 1
                th = -math.log(uniform_open(hash2(key, u, k)))
                h = 0.0
                ru = s + refractory
                t = ru
        hazard[u] = h
        threshold[u] = th
        resume_at[u] = ru
        counter[u] = k
    return m


@njit(cache=True)
def exponential_draws(key, n, index):
    """Exp(1) draws number ``index`` of streams 0..n-1 (the units' first thresholds)."""
    out = np.empty(n)
    for u in range(n):
        out[u] = -math.log(uniform_open(hash2(key, u, index)))
    return out


@njit(cache=True)
def place_templates(acc, block_start, onsets, units, n, fp_offsets, fp_channels, fp_templates):
    """Add each spike's fixed-point footprint to ``acc`` (channels x block+template samples)."""
    length = fp_templates.shape[1]
    for i in range(n):
        u = units[i]
        off = onsets[i] - block_start
        for f in range(fp_offsets[u], fp_offsets[u + 1]):
            row = acc[fp_channels[f]]
            tpl = fp_templates[f]
            for j in range(length):
                row[off + j] += tpl[j]


@njit(cache=True)
def place_mua(acc, block_start, onsets, channels, n, key, amplitude_uv, templates_uv, fixed_point):
    """Multi-unit 'hash': at each event a small spike of a distant neuron, its shape (from a
    small bank) and amplitude (0.5-1.5 x ``amplitude_uv``) drawn from a hash of (channel, sample)."""
    n_tpl, length = templates_uv.shape
    for i in range(n):
        c = channels[i]
        s = onsets[i]
        h = hash2(key, c, s)
        tpl = templates_uv[np.int64(h & np.uint64(0xFFFF)) % n_tpl]
        amp = amplitude_uv * (0.5 + ((h >> np.uint64(16)) & np.uint64(0xFFFF)) / 65536.0) * fixed_point
        row = acc[c]
        off = s - block_start
        for j in range(length):
            row[off + j] += np.int32(math.floor(amp * tpl[j] + 0.5))


@njit(cache=True)
def lfp_sources(out, block_start, key, coef, state):
    """AR(2) resonators driven by white noise: ``out[k, i]`` for source k (unit variance).
    ``coef[k] = (a1, a2, input gain)``, ``state[k] = (y[n-1], y[n-2])``."""
    n_src, n = out.shape
    for k in range(n_src):
        a1, a2, g = coef[k, 0], coef[k, 1], coef[k, 2]
        y1, y2 = state[k, 0], state[k, 1]
        for i in range(n):
            e = 2.0 * uniform_open(hash2(key, k, block_start + i)) - 1.0
            y = a1 * y1 + a2 * y2 + g * e
            out[k, i] = y
            y2 = y1
            y1 = y
        state[k, 0] = y1
        state[k, 1] = y2


@njit(cache=True)
def background(out, acc, block_start, channel_keys, table, thermal_sd, pink_gain, poles, zeros, pink_state,
               lfp, lfp_weights, inv_fixed_point):
    """Per channel and sample: thermal white noise + pink (1/f) noise + LFP + spikes, in uV.

    Pink noise is white noise through a cascade of PINK_SECTIONS first-order pole/zero sections
    alternating in log-frequency (a -10 dB/decade slope; unused sections have pole = zero = 0);
    ``pink_state[c]`` holds each section's last input and output. Both noises come from one
    64-bit hash of (channel key, sample); the 3 LFP sources are mixed with per-channel weights.
    """
    n_ch, n = out.shape
    p0, p1, p2, p3, p4 = poles[0], poles[1], poles[2], poles[3], poles[4]
    z0, z1, z2, z3, z4 = zeros[0], zeros[1], zeros[2], zeros[3], zeros[4]
    for c in range(n_ch):
        st = pink_state[c]
        x0, y0, x1, y1, x2 = st[0], st[1], st[2], st[3], st[4]
        y2, x3, y3, x4, y4 = st[5], st[6], st[7], st[8], st[9]
        sd = thermal_sd[c]
        pg = pink_gain[c]
        w0, w1, w2 = lfp_weights[c, 0], lfp_weights[c, 1], lfp_weights[c, 2]
        ck = channel_keys[c]
        row_acc = acc[c]
        row_out = out[c]
        for i in range(n):
            h = mix64(ck + np.uint64(block_start + i) * GOLDEN)
            white = gauss_from(h, 0, table)
            x = gauss_from(h, 32, table)
            v = x - z0 * x0 + p0 * y0
            x0, y0 = x, v
            x = v - z1 * x1 + p1 * y1
            x1, y1 = v, x
            v = x - z2 * x2 + p2 * y2
            x2, y2 = x, v
            x = v - z3 * x3 + p3 * y3
            x3, y3 = v, x
            v = x - z4 * x4 + p4 * y4
            x4, y4 = x, v
            row_out[i] = (sd * white + pg * v + row_acc[i] * inv_fixed_point
                          + w0 * lfp[0, i] + w1 * lfp[1, i] + w2 * lfp[2, i])
        st[0], st[1], st[2], st[3], st[4] = x0, y0, x1, y1, x2
        st[5], st[6], st[7], st[8], st[9] = y2, x3, y3, x4, y4


@njit(cache=True)
def quantize(signal_uv, inv_gain, out):
    """ADC: round microvolts to int16 counts, clipping at the rails."""
    n_ch, n = signal_uv.shape
    for c in range(n_ch):
        src = signal_uv[c]
        dst = out[c]
        for i in range(n):
            v = np.float32(src[i] * inv_gain)
            v = min(max(v, np.float32(-32768.0)), np.float32(32767.0))
            dst[i] = np.int16(np.rint(v))
