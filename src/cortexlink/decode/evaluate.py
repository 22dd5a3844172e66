"""Train one decoder on a motor data set, or cross-validate several and get a table back.

What ``cortexlink decoder-train`` and ``decoder-eval`` do, as Python calls::

    ev = evaluate_decoders("contdata95.mat", ["wiener", "kalman"], folds=5, settings={"n_lags": 3})
    ev.rows()                     # one dict per decoder: R^2, correlation, RMSE (or accuracy), fit s
    plot_evaluation(ev, "plots")  # cortexlink.decode.plots

``settings`` keys are ``KEY`` (every decoder that has it) or ``DECODER.KEY`` (see
``cortexlink.decode.registry.split_settings``); a key no decoder uses is an error.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.paths import writable_target, writing
from cortexlink.core.progress import progress
from cortexlink.decode.base import Decoder
from cortexlink.decode.datasets import MotorData, load_motor
from cortexlink.decode.metrics import CVResult, contiguous_folds, cross_validate
from cortexlink.decode.registry import (
    CLASSIFIERS,
    DECODERS,
    NETWORK_DECODERS,
    REGRESSION_DECODERS,
    decoder_parameters,
    make_decoder,
    split_settings,
)

MotorSource = MotorData | str | Path


def motor_data(data: MotorSource, part: str = "train") -> MotorData:
    """``data`` itself, or the motor data file it names read with ``load_motor``."""
    return data if isinstance(data, MotorData) else load_motor(data, part=part)


def targets_for(name: str, data: MotorData) -> np.ndarray:
    """What decoder ``name`` learns: the kinematics ``Y``, or the target labels for a classifier."""
    if name in CLASSIFIERS:
        if data.labels is None:
            raise InvalidDataError(f"{data.source} has no target labels; {name} needs them")
        return data.labels
    return data.Y


def default_decoders(data: MotorData) -> tuple[list[str], list[str]]:
    """The decoders worth comparing on ``data`` and a note for each one left out.

    A trial set (one sample per trial, no time course) gets the discrete-intent classifiers; a
    continuous one the regression decoders, without the networks if torch is not installed.
    """
    if data.metadata.get("trials"):
        return list(CLASSIFIERS), []
    names = list(REGRESSION_DECODERS)
    if importlib.util.find_spec("torch") is None:
        names = [n for n in names if n not in NETWORK_DECODERS]
        return names, ["torch is not installed: skipping gru and lstm (pip install \"cortexlink[torch]\")"]
    return names, []


def checked_settings(names: Sequence[str], settings: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-decoder parameters from ``settings``, each decoder built once so that a bad name, type
    or value fails before any data is read."""
    params = split_settings(settings or {}, list(names))
    for name in names:
        make_decoder(name, **params[name])
    return params


def _build(name: str, params: Mapping[str, Any], show_progress: bool) -> Decoder:
    if show_progress and "show_progress" in decoder_parameters(name):
        params = {"show_progress": True, **params}
    return make_decoder(name, **params)


def train_decoder(
    data: MotorSource,
    name: str,
    settings: Mapping[str, Any] | None = None,
    out: str | Path | None = None,
    part: str = "train",
    show_progress: bool = False,
) -> Decoder:
    """Fit decoder ``name`` on all of ``data`` and, with ``out``, save it there.

    Everything that can be checked (the output folder, the settings) is checked before the data
    is read or anything is fitted.
    """
    target = writable_target(out) if out is not None else None
    params = checked_settings([name], settings)[name]
    data = motor_data(data, part)
    dec = _build(name, params, show_progress)
    dec.fit(data.X, targets_for(name, data))
    if target is not None:
        dec.save(target)
    return dec


@dataclass
class RegressionScore:
    """Cross-validated quality of one regression decoder, per output."""

    decoder: str
    cv: CVResult

    @property
    def r2(self) -> np.ndarray:
        return self.cv.r2

    def row(self) -> dict[str, Any]:
        return {
            "decoder": self.decoder,
            "r2": self.cv.r2.tolist(),
            "r2_mean": float(self.cv.r2.mean()),
            "corr": self.cv.correlation.tolist(),
            "rmse": self.cv.rmse.tolist(),
            "fit_s": self.cv.fit_seconds,
        }


@dataclass
class ClassifierScore:
    """Cross-validated accuracy of one classifier on the target labels."""

    decoder: str
    accuracy: float
    chance: float
    fit_seconds: float

    def row(self) -> dict[str, Any]:
        return {
            "decoder": self.decoder,
            "accuracy": self.accuracy,
            "chance": self.chance,
            "fit_s": self.fit_seconds,
        }


@dataclass
class Evaluation:
    """The result of ``evaluate_decoders``: one score per decoder, in the order asked."""

    source: str
    folds: int
    n_features: int
    n_bins: int
    output_names: list[str]
    bin_width: float | None
    regression: list[RegressionScore] = field(default_factory=list)
    classification: list[ClassifierScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per decoder (what ``decoder-eval --json`` writes)."""
        return [s.row() for s in self.regression] + [s.row() for s in self.classification]

    def write_json(self, path: str | Path) -> Path:
        """Write ``rows()`` as a JSON list to ``path`` (what ``decoder-eval --json`` writes)."""
        target = writable_target(path)
        with writing(target):
            target.write_text(json.dumps(self.rows(), indent=2))
        return target


def evaluate_decoders(
    data: MotorSource,
    decoders: Sequence[str] | None = None,
    folds: int = 5,
    settings: Mapping[str, Any] | None = None,
    part: str = "train",
    show_progress: bool = False,
) -> Evaluation:
    """Contiguous-block ``folds``-fold cross-validation of each decoder on ``data``.

    ``decoders`` default to ``default_decoders(data)``. Names, fold count and settings are all
    checked (every decoder built once) before any fitting starts.
    """
    if int(folds) < 2:
        raise InvalidParameterError(f"cross-validation needs at least 2 folds, got {folds}")
    unknown = [n for n in decoders or () if n not in DECODERS]
    if unknown:
        raise InvalidParameterError(
            f"unknown decoder(s) {', '.join(unknown)}; choose from {', '.join(DECODERS)}"
        )
    if decoders is not None:
        params = checked_settings(decoders, settings)
    data = motor_data(data, part)
    notes: list[str] = []
    if decoders is None:
        decoders, notes = default_decoders(data)
        params = checked_settings(decoders, settings)
    ev = Evaluation(
        str(data.source),
        int(folds),
        int(data.X.shape[0]),
        data.n_bins,
        list(data.output_names),
        data.bin_width,
        notes=notes,
    )
    for name in decoders:
        targets = targets_for(name, data)
        if name in CLASSIFIERS:
            score = _score_classifier(name, params[name], data, targets, ev.folds, show_progress)
            ev.classification.append(score)
        else:
            cv = cross_validate(
                lambda n=name: make_decoder(n, **params[n]),
                data.X,
                targets,
                k=ev.folds,
                show_progress=show_progress,
                description=f"{name:>9}",
            )
            ev.regression.append(RegressionScore(name, cv))
    return ev


def _score_classifier(
    name: str, params: Mapping[str, Any], data: MotorData, labels: np.ndarray, k: int, show_progress: bool
) -> ClassifierScore:
    correct, fit_s = 0, 0.0
    folds = contiguous_folds(data.n_bins, k)
    for train, test in progress(folds, total=len(folds), description=f"{name:>9}", enabled=show_progress):
        dec = make_decoder(name, **params)
        t0 = time.perf_counter()
        dec.fit(data.X[:, train], labels[train])
        fit_s += time.perf_counter() - t0
        correct += int(np.sum(dec.predict(data.X[:, test])[0] == labels[test]))
    return ClassifierScore(name, correct / data.n_bins, 1.0 / np.unique(labels).size, fit_s)
