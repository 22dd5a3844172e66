"""Trial classifiers by name: what ``cortexlink eeg-eval --pipelines`` and the ``eeg_classifier``
node accept."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from cortexlink.core.errors import CortexlinkError, InvalidParameterError, ModelFileError
from cortexlink.decode.trials.base import _KINDS, TrialClassifier

# name -> "module.Class" under cortexlink.decode.trials (the name is also the kind stored in files)
PIPELINES: dict[str, str] = {
    "csp-lda": "pipelines.CSPLDA",
    "fbcsp": "pipelines.FilterBankCSP",
    "ts-lr": "tangent.TangentSpaceLR",
    "fbts": "tangent.FilterBankTS",
    "eegnet": "eegnet.EEGNet",
    "ensemble": "ensemble.Ensemble",
}


def classifier_class(name: str) -> type[TrialClassifier]:
    """The class behind a pipeline name."""
    if name not in PIPELINES:
        raise InvalidParameterError(f"unknown EEG pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    module, cls = PIPELINES[name].rsplit(".", 1)
    return getattr(importlib.import_module(f"cortexlink.decode.trials.{module}"), cls)


def make_classifier(name: str, **params: Any) -> TrialClassifier:
    """An unfitted trial classifier by name, ``params`` checked against its constructor."""
    klass = classifier_class(name)
    accepted = [p for p in inspect.signature(klass.__init__).parameters if p != "self"]
    unknown = [k for k in params if k not in accepted]
    if unknown:
        raise InvalidParameterError(
            f"pipeline {name!r} has no parameter {unknown[0]!r}; its parameters: {', '.join(accepted)}"
        )
    try:
        return klass(**params)
    except CortexlinkError:
        raise
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"bad parameter for pipeline {name!r}: {exc}") from None


def import_kind(kind: str) -> type[TrialClassifier]:
    """The class that reads files of ``kind``."""
    if kind not in PIPELINES:
        raise ModelFileError(
            f"the file holds a {kind!r} model, not a trial classifier "
            f"({', '.join(PIPELINES)}); load it with cortexlink.decode.load_decoder"
        )
    classifier_class(kind)
    return _KINDS[kind]
