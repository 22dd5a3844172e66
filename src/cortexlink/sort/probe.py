"""Probe geometry: where each channel sits (micrometres), and the neighbourhoods sorting works in.

A probe is given as an ``(n_channels, 2)`` array of positions, a ``probeinterface`` Probe (or
ProbeGroup), a probeinterface JSON file, a text file of ``x y`` lines, or nothing (a single column
at 25 um pitch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.optional import require
from cortexlink.core.paths import existing_file

DEFAULT_PITCH_UM = 25.0


@dataclass(frozen=True)
class Probe:
    """Channel positions ``(n_channels, 2)`` in micrometres."""

    positions: np.ndarray

    @property
    def n_channels(self) -> int:
        return int(self.positions.shape[0])

    def distances(self) -> np.ndarray:
        """``(n_channels, n_channels)`` distances between channels."""
        d = self.positions[:, None, :] - self.positions[None, :, :]
        return np.sqrt((d ** 2).sum(axis=2))

    def neighbours(self, radius_um: float) -> np.ndarray:
        """``(n_channels, max_neighbours)`` int64: each channel's channels within ``radius_um``,
        nearest first (itself first), padded with -1."""
        dist = self.distances()
        order = np.argsort(dist, axis=1, kind="stable")
        within = np.take_along_axis(dist, order, axis=1) <= radius_um
        width = int(within.sum(axis=1).max())
        return np.where(within[:, :width], order[:, :width], -1).astype(np.int64)


def make_probe(probe: Any, n_channels: int) -> Probe:
    """A ``Probe`` for a recording of ``n_channels`` from any accepted description (module doc)."""
    if probe is None:
        positions = np.stack([np.zeros(n_channels), np.arange(n_channels) * DEFAULT_PITCH_UM], axis=1)
    elif isinstance(probe, Probe):
        positions = probe.positions
    elif isinstance(probe, (str, Path)):
        positions = read_probe_file(probe)
    elif hasattr(probe, "contact_positions") or hasattr(probe, "probes"):
        positions = _positions_of(probe)
    else:
        positions = np.asarray(probe, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] not in (2, 3) or not np.isfinite(positions).all():
        raise InvalidParameterError(f"probe positions must be a finite (n_channels, 2) array, got shape "
                                    f"{positions.shape}")
    if positions.shape[0] != n_channels:
        raise InvalidParameterError(f"the probe has {positions.shape[0]} channels but the recording has "
                                    f"{n_channels}; give the probe of this recording")
    return Probe(np.ascontiguousarray(positions[:, :2]))


def read_probe_file(path: str | Path) -> np.ndarray:
    """Positions from a probeinterface JSON file, or a text file of one ``x y`` line per channel."""
    p = existing_file(path)
    if p.suffix.lower() == ".json":
        pi = require("probeinterface", "sort", "reading a probe file")
        try:
            return _positions_of(pi.read_probeinterface(str(p)))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidParameterError(f"{p} is not a probeinterface file ({exc})") from None
    try:
        return np.atleast_2d(np.loadtxt(p, delimiter="," if p.suffix.lower() == ".csv" else None, ndmin=2))
    except ValueError as exc:
        raise InvalidParameterError(f"{p}: probe positions must be one 'x y' line per channel "
                                    f"({exc})") from None


def _positions_of(obj: Any) -> np.ndarray:
    """Contact positions of a probeinterface Probe or ProbeGroup, in device-channel order when wired."""
    probes = list(obj.probes) if hasattr(obj, "probes") else [obj]
    pos = np.concatenate([np.asarray(p.contact_positions, dtype=np.float64) for p in probes])
    wiring = np.concatenate([np.asarray(p.device_channel_indices if p.device_channel_indices is not None
                                        else np.full(p.get_contact_count(), -1)) for p in probes])
    if (wiring >= 0).all() and np.unique(wiring).size == wiring.size:
        return pos[np.argsort(wiring)]  # row c: the contact wired to channel c
    return pos
