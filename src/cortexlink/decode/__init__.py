"""Decoders from neural features to intended movement, with one interface.

Every decoder has ``fit(X, Y)``, ``predict(X)``, online ``reset()`` / ``step(x_t)`` (which gives
exactly what ``predict`` gives on the same sequence), and ``save(path)`` / ``load(path)``;
``load_decoder(path)`` reads any kind. ``make_decoder(name, **params)`` builds one by name (the
one registry, ``cortexlink.decode.registry``); ``train_decoder`` and ``evaluate_decoders`` are what
the ``decoder-train`` / ``decoder-eval`` commands run. Time is the last axis: features ``X`` are
``(n_features, n_bins)``, kinematics ``Y`` are ``(n_outputs, n_bins)``, and ``step`` maps one
column ``(n_features,)`` to ``(n_outputs,)``.

The network decoders (``gru``, ``lstm``) need the optional PyTorch extra; everything else is
numpy/scipy/numba.
"""

from __future__ import annotations

from cortexlink.decode.apply import Applied, apply_decoder
from cortexlink.decode.base import Decoder, load_decoder
from cortexlink.decode.classify import LDAClassifier, LinearClassifier, LinearSVM
from cortexlink.decode.datasets import MotorData, load_motor
from cortexlink.decode.drift import DriftDetector, DriftEvent, recalibrate
from cortexlink.decode.evaluate import Evaluation, evaluate_decoders, train_decoder
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.kalman import KalmanFilter
from cortexlink.decode.metrics import CVResult, contiguous_folds, correlation, cross_validate, r2_score, rmse
from cortexlink.decode.plots import plot_evaluation
from cortexlink.decode.preprocess import bin_events, bin_spikes, lag_stack, sqrt_counts, zscore
from cortexlink.decode.registry import (
    CLASSIFIERS,
    DECODERS,
    NETWORK_DECODERS,
    REGRESSION_DECODERS,
    check_parameters,
    decoder_class,
    decoder_parameters,
    make_decoder,
    split_settings,
)
from cortexlink.decode.wiener import WienerFilter

__all__ = [
    "Decoder",
    "load_decoder",
    "make_decoder",
    "train_decoder",
    "apply_decoder",
    "Applied",
    "evaluate_decoders",
    "Evaluation",
    "plot_evaluation",
    "decoder_class",
    "decoder_parameters",
    "check_parameters",
    "split_settings",
    "DECODERS",
    "REGRESSION_DECODERS",
    "CLASSIFIERS",
    "NETWORK_DECODERS",
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
