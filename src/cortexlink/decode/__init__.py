"""Decoders from neural features to intended movement, with one interface.

Every decoder has ``fit(X, Y)``, ``predict(X)``, online ``reset()`` / ``step(x_t)`` (which gives
exactly what ``predict`` gives on the same sequence), and ``save(path)`` / ``load(path)``;
``load_decoder(path)`` reads any kind. Time is the last axis: features ``X`` are
``(n_features, n_bins)``, kinematics ``Y`` are ``(n_outputs, n_bins)``, and ``step`` maps one
column ``(n_features,)`` to ``(n_outputs,)``.

The network decoders (``gru``, ``lstm``) need the optional PyTorch extra; everything else is
numpy/scipy/numba.
"""

from __future__ import annotations

from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.base import Decoder, load_decoder
from cortexlink.decode.classify import LDAClassifier, LinearClassifier, LinearSVM
from cortexlink.decode.datasets import MotorData, load_motor
from cortexlink.decode.drift import DriftDetector, DriftEvent, recalibrate
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.kalman import KalmanFilter
from cortexlink.decode.metrics import CVResult, contiguous_folds, correlation, cross_validate, r2_score, rmse
from cortexlink.decode.preprocess import bin_events, bin_spikes, lag_stack, sqrt_counts, zscore
from cortexlink.decode.wiener import WienerFilter

# name -> (class path, default parameters). Defaults are general, not tuned to one file.
DECODERS: dict[str, tuple[str, dict[str, Any]]] = {
    "wiener": ("wiener.WienerFilter", {}),
    "kalman": ("kalman.KalmanFilter", {}),
    "kalman-ss": ("kalman.KalmanFilter", {"steady_state": True}),
    "gru": ("recurrent.GRUDecoder", {}),
    "lstm": ("recurrent.LSTMDecoder", {}),
    "lda": ("classify.LDAClassifier", {}),
    "svm": ("classify.LinearSVM", {}),
}
REGRESSION_DECODERS = ("wiener", "kalman", "kalman-ss", "gru", "lstm")
CLASSIFIERS = ("lda", "svm")


def decoder_class(name: str) -> type[Decoder]:
    """The class behind a decoder name (see ``DECODERS``)."""
    import importlib

    if name not in DECODERS:
        raise InvalidParameterError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}")
    module, cls = DECODERS[name][0].rsplit(".", 1)
    return getattr(importlib.import_module(f"cortexlink.decode.{module}"), cls)


def make_decoder(name: str, **params: Any) -> Decoder:
    """A decoder by name (see ``DECODERS``) with its defaults overridden by ``params``."""
    klass = decoder_class(name)
    defaults = DECODERS[name][1]
    try:
        return klass(**{**defaults, **params})
    except TypeError as exc:
        raise InvalidParameterError(f"bad parameter for decoder {name!r}: {exc}") from None


__all__ = [
    "Decoder",
    "load_decoder",
    "make_decoder",
    "DECODERS",
    "REGRESSION_DECODERS",
    "CLASSIFIERS",
    "WienerFilter",
    "KalmanFilter",
    "LinearClassifier",
    "LDAClassifier",
    "LinearSVM",
    "FeatureTransform",
    "DriftDetector",
    "DriftEvent",
    "recalibrate",
    "MotorData",
    "load_motor",
    "CVResult",
    "contiguous_folds",
    "correlation",
    "cross_validate",
    "r2_score",
    "rmse",
    "bin_events",
    "bin_spikes",
    "lag_stack",
    "sqrt_counts",
    "zscore",
]
