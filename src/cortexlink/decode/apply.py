"""Run a saved decoder on a data set or a recording of features and keep what it decodes.

What ``cortexlink decoder-apply --model M --data FILE [--out OUT]`` does, as one call::

    result = apply_decoder("kalman.npz", "contdata95.mat", out="decoded.csv")
    result.r2   # per output, when the data holds the true kinematics

``data`` is a motor data set (``load_motor``: contdata95, the DAD demos, Dataset1_reaching) or any
recording ``open_recording`` reads whose channels are the decoder's features, one sample per bin
(as the ``features`` stream a graph's recorder writes); its values are used as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.metrics import r2_score
from cortexlink.core.paths import writable_target, writing
from cortexlink.decode.base import Decoder, load_decoder
from cortexlink.decode.classify import LinearClassifier
from cortexlink.decode.datasets import MotorData, load_motor

OUTPUT_SUFFIXES = (".npz", ".csv")
MOTOR_SUFFIXES = (".mat",)


@dataclass
class Applied:
    """What a decoder made of a data set: ``output`` is ``(n_outputs, n_bins)``, time last."""

    kind: str
    source: str
    output: np.ndarray
    output_names: list[str]
    bin_width: float | None
    r2: np.ndarray | None = None  # per output, when the data holds the true kinematics
    accuracy: float | None = None  # a classifier on data with target labels

    @property
    def n_bins(self) -> int:
        return int(self.output.shape[1])


def apply_decoder(
    model: Decoder | str | Path,
    data: MotorData | str | Path,
    out: str | Path | None = None,
    part: str = "train",
) -> Applied:
    """Decode all of ``data`` with ``model`` (a fitted decoder or its file) from rest; with ``out``
    (``.npz`` or ``.csv``) write the output there. The output path is checked first."""
    target = _check_output(out) if out is not None else None
    if target is not None and not isinstance(model, Decoder) and target.resolve() == Path(model).resolve():
        raise InvalidParameterError(f"{target} is the decoder file itself; write the output elsewhere")
    dec = model if isinstance(model, Decoder) else load_decoder(model)
    motor = _features(data, part)
    output = dec.predict(motor.X)
    result = Applied(dec.kind, motor.source, output, _output_names(dec, motor), motor.bin_width)
    if isinstance(dec, LinearClassifier):
        if motor.labels is not None:
            result.accuracy = float(np.mean(output[0] == motor.labels))
    elif motor.Y.shape == output.shape:
        result.r2 = np.asarray(r2_score(motor.Y, output))
    if target is not None:
        write_output(result, target)
    return result


def write_output(result: Applied, path: str | Path) -> Path:
    """``.npz``: arrays ``output``, ``output_names``, ``bin_width`` (NaN if unknown); ``.csv``: a
    header of output names and one row per bin."""
    target = _check_output(path)
    with writing(target):
        if target.suffix.lower() == ".npz":
            bin_width = np.nan if result.bin_width is None else result.bin_width
            with open(target, "wb") as f:
                np.savez(f, output=result.output, output_names=np.array(result.output_names),
                         bin_width=np.array(bin_width))
        else:
            np.savetxt(target, result.output.T, delimiter=",", header=",".join(result.output_names),
                       comments="", fmt="%.9g")
    return target


def _check_output(path: str | Path) -> Path:
    target = writable_target(path)
    if target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InvalidParameterError(
            f"cannot write decoded output to {target}: use a name ending in {' or '.join(OUTPUT_SUFFIXES)}"
        )
    return target


def _features(data: MotorData | str | Path, part: str) -> MotorData:
    """``data`` as MotorData: a motor set as it is, a recording as features without targets."""
    if isinstance(data, MotorData):
        return data
    path = Path(data)
    if path.suffix.lower() in MOTOR_SUFFIXES:
        return load_motor(path, part=part)
    from cortexlink.io import open_recording

    rec = open_recording(path)
    return MotorData(
        X=np.asarray(rec.data, dtype=np.float64),
        Y=np.empty((0, rec.n_samples)),
        bin_width=1.0 / rec.sample_rate,
        output_names=[],
        source=str(path),
    )


def _output_names(dec: Decoder, motor: MotorData) -> list[str]:
    if isinstance(dec, LinearClassifier):
        return ["label"]
    if len(motor.output_names) == dec.n_outputs_:
        return list(motor.output_names)
    return [f"out{i}" for i in range(int(dec.n_outputs_ or 0))]
