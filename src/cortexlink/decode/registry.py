"""Decoders by name: the one registry the CLI, the evaluation and the graph's decoder node share.

``make_decoder("kalman", n_lags=3)`` builds one; every parameter name and type is checked against
the class's constructor first, so a misspelt or mistyped setting is an error that lists the valid
ones instead of being ignored or failing deep inside a fit.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cortexlink.core.errors import CortexlinkError, InvalidParameterError
from cortexlink.core.typecheck import coerce, describe_type, matches
from cortexlink.decode.base import Decoder

# name -> (class path under cortexlink.decode, default parameters). Defaults are general, not tuned
# to one file.
DECODERS: dict[str, tuple[str, dict[str, Any]]] = {
    "wiener": ("wiener.WienerFilter", {}),
    "kalman": ("kalman.KalmanFilter", {}),
    "kalman-ss": ("kalman.KalmanFilter", {"steady_state": True}),
    "gru": ("recurrent.GRUDecoder", {}),
    "lstm": ("recurrent.LSTMDecoder", {}),
    "ndt": ("transformer.NDTDecoder", {}),
    "lfads": ("lfads.LFADSDecoder", {}),
    "lda": ("classify.LDAClassifier", {}),
    "svm": ("classify.LinearSVM", {}),
}
REGRESSION_DECODERS = ("wiener", "kalman", "kalman-ss", "gru", "lstm", "ndt", "lfads")
CLASSIFIERS = ("lda", "svm")
NETWORK_DECODERS = ("gru", "lstm", "ndt", "lfads")  # need the torch extra


@dataclass(frozen=True)
class Parameter:
    """One constructor parameter of a decoder: its annotation and default."""

    name: str
    annotation: Any
    default: Any

    def describe(self) -> str:
        return f"{self.name} ({describe_type(self.annotation)}, default {self.default!r})"


def decoder_class(name: str) -> type[Decoder]:
    """The class behind a decoder name (see ``DECODERS``)."""
    if name not in DECODERS:
        raise InvalidParameterError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}")
    module, cls = DECODERS[name][0].rsplit(".", 1)
    return getattr(importlib.import_module(f"cortexlink.decode.{module}"), cls)


def decoder_parameters(name: str) -> dict[str, Parameter]:
    """The parameters ``make_decoder(name, ...)`` accepts, with the registry's defaults applied."""
    klass = decoder_class(name)
    hints = typing.get_type_hints(klass.__init__)
    overrides = DECODERS[name][1]
    return {
        p.name: Parameter(p.name, hints.get(p.name, Any), overrides.get(p.name, p.default))
        for p in inspect.signature(klass.__init__).parameters.values()
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    }


def check_parameters(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` checked against decoder ``name``'s constructor (names, then types), ints made
    floats where a float is declared; an ``InvalidParameterError`` lists what is accepted."""
    accepted = decoder_parameters(name)
    unknown = [k for k in params if k not in accepted]
    if unknown:
        listing = "; ".join(p.describe() for p in accepted.values())
        raise InvalidParameterError(
            f"decoder {name!r} has no parameter {unknown[0]!r}; its parameters: {listing}"
        )
    out = {}
    for key, value in params.items():
        annotation = accepted[key].annotation
        if not matches(value, annotation):
            raise InvalidParameterError(
                f"decoder {name!r} parameter {key!r} must be {describe_type(annotation)}, "
                f"got {type(value).__name__} {value!r}"
            )
        out[key] = coerce(value, annotation)
    return out


def make_decoder(name: str, **params: Any) -> Decoder:
    """An unfitted decoder by name (see ``DECODERS``) with its defaults overridden by ``params``."""
    klass = decoder_class(name)
    checked = check_parameters(name, params)
    try:
        return klass(**{**DECODERS[name][1], **checked})
    except CortexlinkError:
        raise
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"bad parameter for decoder {name!r}: {exc}") from None


def split_settings(settings: Mapping[str, Any], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per-decoder parameters from shared ``settings`` for the decoders ``names``.

    A key ``"DECODER.KEY"`` sets ``KEY`` of that decoder only; a plain ``"KEY"`` sets it on every
    decoder in ``names`` that has it. A key that no decoder in ``names`` would use is an error
    (a typo must not be silently ignored); values are type-checked by ``make_decoder``.
    """
    out: dict[str, dict[str, Any]] = {n: {} for n in names}
    accepted = {n: decoder_parameters(n) for n in names}
    for key, value in settings.items():
        target, dot, param = key.rpartition(".")
        if not param:
            raise InvalidParameterError(f"setting {key!r} names no parameter; write KEY or DECODER.KEY")
        if dot:
            if target not in DECODERS:
                raise InvalidParameterError(
                    f"setting {key!r}: unknown decoder {target!r}; choose one of {', '.join(DECODERS)}"
                )
            if target not in out:
                raise InvalidParameterError(
                    f"setting {key!r} is for decoder {target!r}, which is not among those run "
                    f"({', '.join(names)}); drop it or add {target!r}"
                )
            check_parameters(target, {param: value})
            out[target][param] = value
            continue
        users = [n for n in names if param in accepted[n]]
        if len(names) == 1:
            check_parameters(names[0], {param: value})  # the error lists its parameters with types
        if not users:
            listing = "; ".join(f"{n}: {', '.join(accepted[n])}" for n in names)
            raise InvalidParameterError(
                f"no decoder among {', '.join(names)} has a parameter {param!r}; valid parameters: {listing}"
            )
        for n in users:
            out[n][param] = value
    return out
