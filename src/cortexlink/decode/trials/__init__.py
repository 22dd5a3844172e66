"""Trial classifiers for EEG: epochs cut at event annotations, CSP + LDA, filter-bank CSP,
Riemannian tangent space + logistic regression, EEGNet and an ensemble, with one interface
(``fit(epochs)``, ``predict``, ``predict_proba``, ``calibrate``, ``save``/``load``), session
re-centring for calibration, and the MOABB-style evaluation behind ``cortexlink eeg-eval``.

Epoching lives here rather than in ``io``: ``Epochs`` is the trial classifiers' input form, cut
from any ``Recording`` with annotations, while ``io`` only reads and writes file formats."""

from cortexlink.decode.trials.base import TrialClassifier, load_classifier
from cortexlink.decode.trials.epochs import Epochs, concatenate, epochs_from_recording, read_epochs
from cortexlink.decode.trials.registry import PIPELINES, make_classifier

__all__ = [
    "Epochs",
    "PIPELINES",
    "TrialClassifier",
    "concatenate",
    "epochs_from_recording",
    "evaluate_eeg",
    "load_classifier",
    "make_classifier",
    "read_epochs",
    "train_eeg",
]


def __getattr__(name: str):
    if name == "evaluate_eeg":
        from cortexlink.decode.trials.evaluate import evaluate_eeg

        return evaluate_eeg
    if name == "train_eeg":
        from cortexlink.decode.trials.train import train_eeg

        return train_eeg
    raise AttributeError(name)
