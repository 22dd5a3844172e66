"""A stacked ensemble: its members' class probabilities averaged with weights learnt on the
training trials.

Each member's weight is how far above chance its accuracy is in an inner stratified k-fold
cross-validation of the training trials (members at or below chance get none; all equal if none
is above), so a subject whose imagery shows in one band favours filter-bank members and one with
a broad pattern the broadband ones, without any hand-picked choice. Members (any trial
classifiers by name; the classical four by default) see the ensemble's trials and calibrations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.trials.base import TrialClassifier, register_trial_kind

DEFAULT_MEMBERS = ("csp-lda", "fbcsp", "ts-lr", "fbts")


@register_trial_kind
class Ensemble(TrialClassifier):
    """Weighted mean probability of ``members``; see the module docstring."""

    kind = "ensemble"
    own_alignment = True  # members re-centre as each of them does

    def __init__(
        self, members: list[str] | None = None, inner_folds: int = 3, align: str = "riemann", seed: int = 0
    ) -> None:
        from cortexlink.decode.trials.registry import PIPELINES

        super().__init__(align)
        self.members = list(DEFAULT_MEMBERS if members is None else members)
        bad = [m for m in self.members if m not in PIPELINES or m == "ensemble"]
        if not self.members or bad:
            raise InvalidParameterError(
                f"ensemble members must be among "
                f"{', '.join(p for p in PIPELINES if p != 'ensemble')}; got {bad or 'none'}"
            )
        if int(inner_folds) < 2:
            raise InvalidParameterError(f"inner_folds must be at least 2, got {inner_folds}")
        self.inner_folds, self.seed = int(inner_folds), int(seed)
        if "eegnet" in self.members:
            self.container = "safetensors"

    def params(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "inner_folds": self.inner_folds,
            "align": self.align,
            "seed": self.seed,
        }

    def _make_members(self) -> list[TrialClassifier]:
        from cortexlink.decode.trials.registry import make_classifier

        return [make_classifier(name, align=self.align) for name in self.members]

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from cortexlink.decode.trials.evaluate import stratified_folds

        epochs = self._training_epochs(X, y)
        folds = stratified_folds(y, self.inner_folds, self.seed)
        scores = np.zeros(len(self.members))
        for train, test in folds:
            for i, m in enumerate(self._make_members()):
                m.fit(epochs[train])
                scores[i] += np.mean(m.predict(epochs[test]) == epochs.labels[test]) / len(folds)
        gain = np.maximum(scores - 1.0 / len(self.classes_), 0.0)
        self.weights = (
            gain / gain.sum() if gain.sum() > 0 else np.full(len(self.members), 1 / len(self.members))
        )
        self.fitted = [m.fit(epochs) for m in self._make_members()]

    def _training_epochs(self, X: np.ndarray, y: np.ndarray) -> Any:
        from cortexlink.decode.trials.epochs import Epochs

        return Epochs(
            X,
            self.classes_[y],
            self.sample_rate_,
            list(self.channel_names_),
            self._all_class_names(),
            session=self.sessions_,
        )

    def _all_class_names(self) -> list[str]:
        names = [""] * (int(self.classes_.max()) + 1)
        for c, n in zip(self.classes_, self.class_names_, strict=True):
            names[c] = n
        return names

    def _recentre(self, X: np.ndarray) -> None:
        for m in self.fitted:
            if m.align != "none":
                m.calibrate(X, adapt=False)

    def _adapt(self, X: np.ndarray, y: np.ndarray) -> None:
        for m in self.fitted:
            m._adapt(m._prepare(X), y)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        return np.tensordot(self.weights, np.stack([m.predict_proba(X) for m in self.fitted]), axes=1)

    def _state(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"weights": self.weights}
        for i, m in enumerate(self.fitted):
            out.update({f"m{i}.{k}": v for k, v in m._state().items()})
            out[f"m{i}.whiten_"] = m.whiten_
        return out

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights = np.asarray(arrays["weights"], np.float64)
        self.fitted = self._make_members()
        if self.weights.shape != (len(self.fitted),):
            raise ValueError("ensemble weights do not match its members")
        for i, m in enumerate(self.fitted):
            prefix = f"m{i}."
            sub = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            m.channel_names_, m.classes_, m.class_names_ = (
                self.channel_names_,
                self.classes_,
                self.class_names_,
            )
            m.sample_rate_, m.n_samples_ = self.sample_rate_, self.n_samples_
            m.whiten_ = np.asarray(sub.pop("whiten_"), np.float64)
            m._restore(sub)
