"""Loaders for public motor-decoding data sets into one form: counts ``X``, kinematics ``Y``.

``MotorData.X`` is ``(n_channels, n_bins)`` spike counts (or rates where only rates exist),
``Y`` is ``(n_outputs, n_bins)`` kinematics, time on the last axis. Supported files:

- ``contdata95.mat`` (University of Michigan BME 517): ``Y`` (bins, 95) counts in 50 ms bins,
  ``X`` (bins, 4) hand position x/y and velocity x/y. Decoded outputs: velocity.
- KordingLab DAD demos (``chewie_demo.mat``, ``mihi_demo.mat``; Dyer et al. 2017): ``Ytr``/``Yte``
  neural data, ``Xtr``/``Xte`` 2-D hand velocity, ``Ttr``/``Tte`` target index. ``part`` picks the
  ``tr`` or ``te`` block (they can differ in neuron count, so they are never concatenated).
  mihi's rates are multiples of 5 Hz (0.2 s bins) and are turned back into counts; chewie's bin
  width is not stated (``bin_width`` is ``None``).
- ``Dataset1_reaching.mat`` (Hatsopoulos et al. 2004): ``R`` (143 neurons, 158 trials) firing rates
  and ``direction`` 1-8. One "bin" per trial; ``Y`` is the unit reach vector (cos, sin) of the
  direction and ``labels`` the direction, for the discrete-intent decoders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, RecordingNotFoundError, UnsupportedFormatError

MAX_MAT_BYTES = 512 * 1024 * 1024


@dataclass
class MotorData:
    """Neural features and kinematics of one data set, time on the last axis."""

    X: np.ndarray
    Y: np.ndarray
    bin_width: float | None
    output_names: list[str]
    labels: np.ndarray | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_bins(self) -> int:
        return int(self.X.shape[1])


def load_motor(path: str | Path, part: str = "train") -> MotorData:
    """Read one of the supported motor data files (see module docstring) into ``MotorData``."""
    path = Path(path)
    if not path.is_file():
        raise RecordingNotFoundError(f"no data file at {path}")
    if path.stat().st_size > MAX_MAT_BYTES:
        raise UnsupportedFormatError(
            f"{path} is larger than {MAX_MAT_BYTES >> 20} MiB; not a supported motor set"
        )
    mat = _loadmat(path)
    if {"X", "Y"} <= mat.keys():
        return _contdata(path, mat)
    if {"Ytr", "Xtr", "Yte", "Xte"} <= mat.keys():
        return _dad(path, mat, part)
    if {"R", "direction"} <= mat.keys():
        return _reaching(path, mat)
    raise UnsupportedFormatError(
        f"{path}: unknown motor data layout (variables {sorted(mat)}); expected "
        "contdata95 (X, Y), DAD (Xtr, Ytr, ...) or Dataset1_reaching (R, direction)"
    )


def _loadmat(path: Path) -> dict[str, np.ndarray]:
    import scipy.io

    try:
        raw = scipy.io.loadmat(str(path))
    except NotImplementedError:
        raise UnsupportedFormatError(
            f"{path} is a MATLAB v7.3 (HDF5) file; only the v5 motor sets are supported"
        ) from None
    except (ValueError, OSError, TypeError, scipy.io.matlab.MatReadError) as exc:
        raise UnsupportedFormatError(f"{path} is not a readable MATLAB file ({exc})") from None
    out = {}
    for k, v in raw.items():
        if k.startswith("__"):
            continue
        if not isinstance(v, np.ndarray) or v.dtype == object or not np.issubdtype(v.dtype, np.number):
            continue
        out[k] = v
    return out


def _finite(a: np.ndarray, what: str) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        raise InvalidDataError(f"{what} holds NaN or infinite values")
    return a


def _contdata(path: Path, mat: dict[str, np.ndarray]) -> MotorData:
    kin, counts = mat["X"], mat["Y"]
    if kin.ndim != 2 or counts.ndim != 2 or kin.shape[0] != counts.shape[0] or kin.shape[1] < 4:
        raise InvalidDataError(
            f"{path}: expected X (bins, 4) and Y (bins, channels), got {kin.shape}, {counts.shape}"
        )
    return MotorData(
        X=_finite(counts.T, "Y"),
        Y=_finite(kin[:, 2:4].T, "X"),
        bin_width=0.05,
        output_names=["vel_x", "vel_y"],
        source=str(path),
        metadata={"position": _finite(kin[:, 0:2].T, "X")},
    )


def _dad(path: Path, mat: dict[str, np.ndarray], part: str) -> MotorData:
    if part not in ("train", "test"):
        raise InvalidDataError(f"part must be 'train' or 'test', got {part!r}")
    sfx = "tr" if part == "train" else "te"
    neural, vel = mat["Y" + sfx], mat["X" + sfx]
    if neural.ndim != 2 or vel.ndim != 2 or neural.shape[0] != vel.shape[0]:
        raise InvalidDataError(f"{path}: Y{sfx} {neural.shape} and X{sfx} {vel.shape} do not line up")
    X = _finite(neural.T, "Y" + sfx)
    bin_width = None
    nz = X[X > 0]
    quantum = float(nz.min()) if nz.size else 1.0
    if nz.size and np.allclose(nz / quantum, np.round(nz / quantum), rtol=0, atol=1e-6):
        if quantum > 1.5:  # rates in Hz: every value a multiple of 1 / bin width
            bin_width = 1.0 / quantum
        X = np.round(X / quantum) if quantum > 1.5 else np.round(X)
    labels = mat.get("T" + sfx)
    return MotorData(
        X=X,
        Y=_finite(vel.T, "X" + sfx),
        bin_width=bin_width,
        output_names=["vel_x", "vel_y"],
        labels=None if labels is None else labels.ravel().astype(np.int64),
        source=str(path),
        metadata={"part": part},
    )


def _reaching(path: Path, mat: dict[str, np.ndarray]) -> MotorData:
    rates, direction = mat["R"], mat["direction"].ravel()
    if rates.ndim != 2 or rates.shape[1] != direction.size:
        raise InvalidDataError(
            f"{path}: R {rates.shape} does not have one column per trial ({direction.size})"
        )
    angle = (direction.astype(np.float64) - 1.0) * (2 * np.pi / 8)
    return MotorData(
        X=_finite(rates, "R"),
        Y=np.vstack([np.cos(angle), np.sin(angle)]),
        bin_width=None,
        output_names=["dir_cos", "dir_sin"],
        labels=direction.astype(np.int64),
        source=str(path),
        metadata={"trials": True},
    )
