"""The interface every trial classifier shares: ``fit(epochs)``, ``predict``, ``predict_proba``,
``calibrate``, ``save``/``load`` (the safe decoder files of ``cortexlink.decode.modelfile``).

A classifier takes ``Epochs`` (or a ``(n_trials, n_channels, n_samples)`` array in the channel
order it was fitted on) and returns labels or ``(n_trials, n_classes)`` probabilities. With
``align`` set (the default) each training session is re-centred on its own mean covariance
(``cortexlink.decode.trials.align``); ``calibrate(epochs)`` re-centres a new session from a few
of its trials and, where the classifier can, adapts it with their labels.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError, ModelFileError, NotFittedError
from cortexlink.decode.modelfile import read_model, write_model
from cortexlink.decode.threads import blas_threads
from cortexlink.decode.trials.align import recentre, whitener
from cortexlink.decode.trials.epochs import DEFAULT_BAND, Epochs

ALIGN_CHOICES = ("riemann", "euclid", "none")
_KINDS: dict[str, type[TrialClassifier]] = {}


def register_trial_kind(cls: type[TrialClassifier]) -> type[TrialClassifier]:
    """Class decorator: make ``cls`` loadable by ``load_classifier`` under ``cls.kind``."""
    _KINDS[cls.kind] = cls
    return cls


def check_epochs(epochs: Any) -> Epochs:
    """``epochs`` if it is labelled training data with two classes or more, each with 2+ trials."""
    if not isinstance(epochs, Epochs):
        raise InvalidDataError("fit takes an Epochs (see cortexlink.decode.trials.read_epochs)")
    classes, counts = np.unique(epochs.labels, return_counts=True)
    if classes.size < 2:
        raise InvalidDataError(
            f"the trials hold one class only ({epochs.class_names[classes[0]]!r}); "
            "a classifier needs trials of at least two classes"
        )
    if counts.min() < 2:
        raise InvalidDataError(
            "every class needs at least two trials; "
            f"class {epochs.class_names[classes[np.argmin(counts)]]!r} has {counts.min()}"
        )
    if not np.isfinite(epochs.data).all():
        raise InvalidDataError("the trials hold NaN or infinite values; drop those trials or channels")
    return epochs


class TrialClassifier(ABC):
    """Base of the trial classifiers; subclasses implement ``_fit``, ``_proba``, ``params``,
    ``_state`` and ``_restore`` (and may override ``_adapt`` for labelled calibration)."""

    kind: ClassVar[str] = ""
    container: ClassVar[str] = "npz"
    # numpy's BLAS runs on one thread inside fit/predict/calibrate: the many small (channels x
    # channels) eigen-decompositions are tens of times slower split across busy cores
    threads: int | None = 1
    # True: the classifier re-centres in its own feature space (``_recentre`` and ``_fit`` see the
    # trials unwhitened, sessions in ``self.sessions_``); the shared whitening stays the identity
    own_alignment: ClassVar[bool] = False

    def __init__(self, align: str = "riemann") -> None:
        if align not in ALIGN_CHOICES:
            raise InvalidParameterError(f"align must be one of {', '.join(ALIGN_CHOICES)}, got {align!r}")
        self.align = align
        self.channel_names_: list[str] | None = None
        self.band_: tuple[float, float] | None = None  # the training trials' band-pass (Epochs.band)
        self.causal_ = False  # and whether it was causal (Epochs.causal)

    # -- public interface ------------------------------------------------------------------------
    def fit(self, epochs: Epochs) -> TrialClassifier:
        """Learn from labelled trials (each ``epochs.session`` re-centred on its own if ``align``)."""
        epochs = check_epochs(epochs)
        self.classes_ = np.unique(epochs.labels)
        self.class_names_ = [epochs.class_names[c] for c in self.classes_]
        self.channel_names_ = list(epochs.channel_names)
        self.sample_rate_, self.n_samples_ = float(epochs.sample_rate), int(epochs.n_samples)
        self.band_, self.causal_ = epochs.band, bool(epochs.causal)
        X = epochs.data
        self.sessions_ = epochs.session
        with blas_threads(self.threads):
            if self.align != "none" and not self.own_alignment:
                X = recentre(X, epochs.session, self.align)
                self.whiten_ = whitener(epochs.data, self.align)
            else:
                self.whiten_ = np.eye(epochs.n_channels)
            self._fit(X, np.searchsorted(self.classes_, epochs.labels))
        return self

    def predict_proba(self, trials: Epochs | np.ndarray) -> np.ndarray:
        """Class probabilities ``(n_trials, n_classes)``, columns in ``classes_`` order."""
        with blas_threads(self.threads):
            return self._proba(self._prepare(trials))

    def predict(self, trials: Epochs | np.ndarray) -> np.ndarray:
        """The most probable class label of each trial ``(n_trials,)``."""
        return self.classes_[np.argmax(self.predict_proba(trials), axis=1)]

    def calibrate(self, epochs: Epochs, adapt: bool = True) -> TrialClassifier:
        """Re-centre a new session from its trials ``epochs`` (labels unused), then, if ``adapt``
        and the trials are labelled with known classes, let the classifier adapt to them."""
        self._check_fitted()
        X = self._as_array(epochs)
        with blas_threads(self.threads):
            if self.align != "none" and self.own_alignment:
                self._recentre(X)
            elif self.align != "none":
                self.whiten_ = whitener(X, self.align)
                self._recentre(self.whiten_ @ X)
            if adapt and isinstance(epochs, Epochs) and np.isin(epochs.labels, self.classes_).all():
                self._adapt(self.whiten_ @ X, np.searchsorted(self.classes_, epochs.labels))
        return self

    def save(self, path: str | Path) -> Path:
        """Write the fitted classifier to ``path`` (npz or safetensors; no pickle)."""
        self._check_fitted()
        extra = {
            "channel_names": self.channel_names_,
            "sample_rate": self.sample_rate_,
            "n_samples": self.n_samples_,
            "class_names": self.class_names_,
            "band": None if self.band_ is None else list(self.band_),
            "causal": self.causal_,
        }
        arrays = {"classes_": self.classes_, "whiten_": self.whiten_, **self._state()}
        return write_model(path, self.kind, self.params(), arrays, self.container, extra)

    @classmethod
    def load(cls, path: str | Path) -> TrialClassifier:
        """Read a classifier file written by ``save`` (any kind; see ``load_classifier``)."""
        return load_classifier(path)

    @property
    def is_fitted(self) -> bool:
        return self.channel_names_ is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"

    def clone(self) -> TrialClassifier:
        """An unfitted classifier with the same parameters."""
        return type(self)(**self.params())

    # -- helpers -----------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted; call fit(epochs) or load a file")

    def _as_array(self, trials: Epochs | np.ndarray) -> np.ndarray:
        self._check_fitted()
        if isinstance(trials, Epochs):
            if [n.lower() for n in trials.channel_names] != [n.lower() for n in self.channel_names_]:
                raise InvalidDataError(
                    "the trials' channels differ from those the classifier was fitted on; "
                    "pick the same channels in the same order (Epochs.pick)"
                )
            X = trials.data
        else:
            X = np.asarray(trials, dtype=np.float64)
            if X.ndim == 2:
                X = X[None]
        if X.ndim != 3 or X.shape[1] != len(self.channel_names_):
            raise InvalidDataError(
                f"trials must be (n_trials, {len(self.channel_names_)} channels, n_samples), "
                f"got shape {X.shape}"
            )
        if not np.isfinite(X).all():
            raise InvalidDataError("the trials hold NaN or infinite values")
        return X

    def _prepare(self, trials: Epochs | np.ndarray) -> np.ndarray:
        X = self._as_array(trials)
        return X if self.align == "none" or self.own_alignment else self.whiten_ @ X

    def _recentre(self, X: np.ndarray) -> None:
        """A new session's trials (already whitened): update any reference of the classifier's own."""
        return None

    def _adapt(self, X: np.ndarray, y: np.ndarray) -> None:
        """Labelled calibration trials (already re-centred); default: re-centring only."""
        return None

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable."""

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        """``X`` re-centred trials, ``y`` class indices 0..k-1."""

    @abstractmethod
    def _proba(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None: ...


def load_classifier(path: str | Path) -> TrialClassifier:
    """Load any trial classifier file, choosing the class from the kind stored in it."""
    from cortexlink.decode.trials.registry import import_kind

    meta, arrays = read_model(path)
    cls = import_kind(meta["kind"])
    try:
        clf = cls(**meta["params"])
        extra = meta["extra"]
        clf.channel_names_ = [str(n) for n in extra["channel_names"]]
        clf.sample_rate_, clf.n_samples_ = float(extra["sample_rate"]), int(extra["n_samples"])
        clf.class_names_ = [str(n) for n in extra["class_names"]]
        # files written before the filter was recorded ran online with a causal 8-35 Hz: keep that
        band = extra.get("band", DEFAULT_BAND)
        clf.band_ = None if band is None else (float(band[0]), float(band[1]))
        clf.causal_ = bool(extra.get("causal", True))
        clf.classes_ = np.asarray(arrays["classes_"]).astype(np.int64)
        clf.whiten_ = np.asarray(arrays["whiten_"], dtype=np.float64)
        if clf.whiten_.shape != (len(clf.channel_names_),) * 2:
            raise ValueError("whitening matrix does not match the channels")
        clf._restore(arrays)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(
            f"{path}: the {meta['kind']!r} classifier file is incomplete or inconsistent ({exc}); retrain it"
        ) from None
    return clf


def softmax_proba(decision: np.ndarray) -> np.ndarray:
    """Probabilities from linear decision values: logistic for one column (two classes)."""
    if decision.ndim == 1 or decision.shape[1] == 1:
        from scipy.special import expit

        p = expit(decision.reshape(-1))
        return np.column_stack([1 - p, p])
    z = decision - decision.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LinearHead:
    """Standardised features -> shrinkage LDA or logistic regression, kept as plain arrays
    (``W``, ``b``, ``mean``, ``scale``) so it saves safely and predicts without scikit-learn."""

    def __init__(self, method: str = "lda", C: float = 1.0, standardize: bool = True) -> None:
        if method not in ("lda", "lr"):
            raise InvalidParameterError(f"head must be 'lda' or 'lr', got {method!r}")
        self.method, self.C, self.standardize = method, float(C), standardize

    def fit(self, F: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> LinearHead:
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.linear_model import LogisticRegression

        self.mean, self.scale = F.mean(axis=0), F.std(axis=0) + 1e-12
        if not self.standardize:
            self.mean, self.scale = np.zeros(F.shape[1]), np.ones(F.shape[1])
        Z = (F - self.mean) / self.scale
        if self.method == "lda":
            model = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(Z, y)
        else:
            model = LogisticRegression(C=self.C, max_iter=1000).fit(Z, y, sample_weight=weight)
        self.W, self.b = np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
        return self

    def decision(self, F: np.ndarray) -> np.ndarray:
        return ((F - self.mean) / self.scale) @ self.W.T + self.b

    def proba(self, F: np.ndarray) -> np.ndarray:
        return softmax_proba(self.decision(F))

    def arrays(self, prefix: str = "head_") -> dict[str, np.ndarray]:
        return {f"{prefix}{k}": getattr(self, k) for k in ("W", "b", "mean", "scale")}

    def restore(self, arrays: dict[str, np.ndarray], prefix: str = "head_") -> LinearHead:
        for k in ("W", "b", "mean", "scale"):
            setattr(self, k, np.asarray(arrays[f"{prefix}{k}"], dtype=np.float64))
        if self.W.shape[1] != self.mean.shape[0]:
            raise ValueError("head weights and feature scaling disagree in size")
        return self
