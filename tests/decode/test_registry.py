"""One decoder registry: names, parameters checked by name and type, shared settings split."""

from __future__ import annotations

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode import DECODERS, KalmanFilter, decoder_parameters, make_decoder, split_settings


def test_names_and_registry_defaults():
    assert make_decoder("kalman-ss").steady_state and not make_decoder("kalman").steady_state
    params = decoder_parameters("kalman-ss")
    assert params["steady_state"].default is True and params["n_lags"].default == 5
    assert set(decoder_parameters("gru")) >= {"hidden", "epochs", "threads"}  # listed without torch
    assert isinstance(make_decoder("kalman", q_ridge=1), KalmanFilter)  # an int where a float is declared
    assert make_decoder("kalman", q_ridge=1).q_ridge == 1.0


@pytest.mark.parametrize(
    "params,message",
    [
        ({"foo": 1}, "has no parameter 'foo'; its parameters: n_lags (an int, default 10)"),
        ({"n_lags": "abc"}, "'n_lags' must be an int, got str 'abc'"),
        ({"n_lags": 2.5}, "'n_lags' must be an int, got float 2.5"),
        ({"zscore": "maybe"}, "'zscore' must be a bool"),
        ({"pca": True}, "'pca' must be an int or null"),
        ({"ridge": -1}, "ridge must be 'auto' or a number >= 0"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(InvalidParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_decoder("wiener", **params)


def test_unknown_decoder_lists_the_known_ones():
    with pytest.raises(InvalidParameterError, match="choose one of " + ", ".join(DECODERS)):
        make_decoder("magic")


def test_split_settings_plain_and_prefixed_keys():
    got = split_settings({"n_lags": 2, "kalman.q_ridge": 1.0, "gru.epochs": 3}, ["wiener", "kalman", "gru"])
    assert got == {"wiener": {"n_lags": 2}, "kalman": {"n_lags": 2, "q_ridge": 1.0}, "gru": {"epochs": 3}}
    assert split_settings({}, ["lda"]) == {"lda": {}}


@pytest.mark.parametrize(
    "settings,names,message",
    [
        ({"foo": 1}, ["wiener", "kalman"], "no decoder among wiener, kalman has a parameter 'foo'"),
        ({"foo": 1}, ["wiener"], "decoder 'wiener' has no parameter 'foo'"),
        ({"wiener.q_ridge": 1}, ["wiener", "kalman"], "decoder 'wiener' has no parameter 'q_ridge'"),
        ({"gru.epochs": 1}, ["wiener"], "not among those run"),
        ({"magic.x": 1}, ["wiener"], "unknown decoder 'magic'"),
        ({"wiener.": 1}, ["wiener"], "names no parameter"),
    ],
)
def test_split_settings_refuses_what_no_decoder_uses(settings, names, message):
    with pytest.raises(InvalidParameterError, match=message):
        split_settings(settings, names)
