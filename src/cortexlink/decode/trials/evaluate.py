"""``evaluate_eeg``: trial classifiers scored within a session and across sessions, MOABB-style.

- within-session: stratified k-fold cross-validation over the trials of all recordings pooled as
  one session (MOABB's convention: the runs of one visit are one session); every trial is
  predicted by a model that did not see it, and the metrics are computed on those predictions.
- cross-session: train on one recording, test on each other one: ``cross`` on all its trials;
  then ``repeats`` times, ``calibration_trials`` of the test recording (stratified, random) are
  given to ``calibrate`` and the rest are scored with (``calibrated``) and without
  (``cross-heldout``) that calibration, so the two are compared on the same trials. Each
  calibration starts from a copy of the classifier trained on the training recording.
  ``EEGEvaluation.directions`` keeps the cross-session figures of each (train, test) pair.

Metrics per scheme: accuracy, roc_auc, kappa, itr (bits/min, a decision per trial length) and a
confusion matrix summed over folds or repeats.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.progress import progress
from cortexlink.decode.trials.epochs import DEFAULT_BAND, Epochs, read_epochs
from cortexlink.decode.trials.metrics import confusion, itr_bits_per_min, kappa, roc_auc

SCHEMES = ("within", "cross", "cross-heldout", "calibrated")
Factory = Callable[[], Any]  # builds an unfitted classifier: fit(epochs), predict_proba(trials), calibrate


def stratified_folds(labels: np.ndarray, k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` shuffled (train, test) splits with each class spread evenly over the test sets."""
    classes, counts = np.unique(labels, return_counts=True)
    if int(k) < 2:
        raise InvalidParameterError(f"cross-validation needs at least 2 folds, got {k}")
    if counts.min() < k:
        raise InvalidDataError(
            f"a class has only {counts.min()} trials, too few for {k} folds; use fewer folds"
        )
    rng = np.random.default_rng(seed)
    fold_of = np.empty(labels.size, np.int64)
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        fold_of[idx] = (np.arange(idx.size) + rng.integers(k)) % k
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def stratified_pick(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` trial indices with the classes as balanced as ``labels`` allow."""
    classes = np.unique(labels)
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in classes]
    out: list[int] = []
    while len(out) < n and any(pools):
        for p in pools:
            if p and len(out) < n:
                out.append(p.pop())
    return np.sort(np.array(out, np.int64))


@dataclass
class Score:
    """One pipeline under one scheme: metrics over its predictions; ``fit_s`` is the mean seconds of
    one fit (for ``calibrated``: of one calibration)."""

    pipeline: str
    scheme: str
    accuracy: float
    roc_auc: float
    kappa: float
    itr: float
    confusion: np.ndarray
    n_trials: int
    fit_s: float = 0.0

    def row(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "scheme": self.scheme,
            "accuracy": self.accuracy,
            "roc_auc": self.roc_auc,
            "kappa": self.kappa,
            "itr": self.itr,
            "n_trials": self.n_trials,
            "fit_s": self.fit_s,
        }


@dataclass
class Direction:
    """One pipeline trained on recording ``train`` and tested on ``test`` (indices into ``files``)."""

    pipeline: str
    train: int
    test: int
    roc_auc: float
    accuracy: float
    heldout_accuracy: float = float("nan")
    calibrated_accuracy: float = float("nan")
    calibrated_roc_auc: float = float("nan")


@dataclass
class EEGEvaluation:
    """Every pipeline's scores; ``class_names`` label the confusion matrices."""

    scores: list[Score]
    class_names: list[str]
    trial_s: float
    files: list[str] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    directions: list[Direction] = field(default_factory=list)

    def get(self, pipeline: str, scheme: str) -> Score:
        for s in self.scores:
            if s.pipeline == pipeline and s.scheme == scheme:
                return s
        raise KeyError((pipeline, scheme))

    def recovered(self, pipeline: str) -> float:
        """Share of the accuracy gap between cross-session (held-out trials) and within-session that
        calibration closes (1: calibrated as good as within-session; NaN without a gap)."""
        w = self.get(pipeline, "within").accuracy
        x = self.get(pipeline, "cross-heldout").accuracy
        c = self.get(pipeline, "calibrated").accuracy
        return float((c - x) / (w - x)) if w - x > 1e-9 else float("nan")

    def table(self) -> list[str]:
        lines = [
            f"{'pipeline':<16} {'scheme':<14} {'accuracy':>8} {'roc_auc':>8} {'kappa':>7} "
            f"{'itr b/min':>9} {'trials':>6} {'fit s':>7}"
        ]
        for s in self.scores:
            lines.append(
                f"{s.pipeline:<16} {s.scheme:<14} {s.accuracy:>8.3f} {s.roc_auc:>8.3f} {s.kappa:>7.3f} "
                f"{s.itr:>9.2f} {s.n_trials:>6d} {s.fit_s:>7.2f}"
            )
        return lines


class _Collector:
    """Predictions of one (pipeline, scheme), pooled or averaged over groups (recordings, repeats)."""

    def __init__(self, classes: np.ndarray) -> None:
        self.classes = classes
        self.groups: list[tuple[np.ndarray, np.ndarray]] = []
        self.fit_s: list[float] = []

    def add(self, labels: np.ndarray, proba: np.ndarray) -> None:
        self.groups.append((labels, proba))

    def score(self, pipeline: str, scheme: str, trial_s: float) -> Score:
        acc, auc, kap = [], [], []
        conf = np.zeros((self.classes.size,) * 2, np.int64)
        for labels, proba in self.groups:
            pred = self.classes[np.argmax(proba, axis=1)]
            acc.append(np.mean(pred == labels))
            auc.append(roc_auc(labels, proba, self.classes))
            kap.append(kappa(labels, pred))
            conf += confusion(labels, pred, self.classes)
        a = float(np.mean(acc))
        aucs = [x for x in auc if np.isfinite(x)]
        return Score(
            pipeline,
            scheme,
            a,
            float(np.mean(aucs)) if aucs else float("nan"),
            float(np.mean(kap)),
            itr_bits_per_min(a, self.classes.size, trial_s),
            conf,
            int(conf.sum()),
            float(np.mean(self.fit_s)) if self.fit_s else 0.0,
        )


def _timed_fit(factory: Factory, epochs: Epochs, sink: _Collector) -> Any:
    t = time.perf_counter()
    clf = factory()
    clf.fit(epochs)
    sink.fit_s.append(time.perf_counter() - t)
    return clf


def evaluate_eeg(
    files: Sequence[str | Path] | Epochs,
    pipelines: Sequence[str] = ("csp-lda", "ts-lr", "fbts"),
    *,
    events: Sequence[str] | None = ("T1", "T2"),
    tmin: float = 0.0,
    tmax: float = 3.0,
    band: tuple[float, float] | None = DEFAULT_BAND,
    channels: Sequence[str] | None = None,
    reject_uv: float | None = None,
    causal: bool = False,
    folds: int = 5,
    calibration_trials: int = 10,
    repeats: int = 5,
    cross: bool = True,
    within: bool = True,
    seed: int = 0,
    factories: dict[str, Factory] | None = None,
    show_progress: bool = False,
    plot: str | Path | None = None,
) -> EEGEvaluation:
    """Score ``pipelines`` (names, see ``PIPELINES``) and any extra ``factories`` (name -> builder
    of an object with ``fit``/``predict_proba``/``calibrate``) on the recordings ``files`` (each
    a session) or on ready ``Epochs`` (sessions from ``epochs.session``); see the module docstring.
    ``within``/``cross``: run the within-session and the cross-session schemes; ``causal``: filter
    the recordings causally, as the ``eeg_classifier`` node does online.
    ``plot``: a folder for the ROC AUC and confusion-matrix PNGs."""
    from cortexlink.decode.trials.registry import make_classifier

    if isinstance(files, Epochs):
        epochs, names = files, []
    else:
        epochs = read_epochs(
            list(files),
            events=events,
            tmin=tmin,
            tmax=tmax,
            band=band,
            channels=channels,
            reject_uv=reject_uv,
            causal=causal,
        )
        names = [str(f) for f in files]
    builders: dict[str, Factory] = {p: (lambda p=p: make_classifier(p)) for p in pipelines}
    builders.update(factories or {})
    if not builders:
        raise InvalidParameterError("give at least one pipeline to evaluate")
    for p in pipelines:
        make_classifier(p)  # unknown names fail before any work
    if int(calibration_trials) < 0 or int(repeats) < 1:
        raise InvalidParameterError("calibration_trials must be >= 0 and repeats >= 1")
    classes = np.unique(epochs.labels)
    sessions = np.unique(epochs.session)
    if cross and sessions.size < 2:
        raise InvalidParameterError(
            "cross-session evaluation needs two recordings or more (or pass cross=False)"
        )
    if not (within or cross):
        raise InvalidParameterError("nothing to evaluate: within and cross are both off")
    pooled = replace(epochs, session=np.zeros(epochs.n_trials, np.int64))
    runs = ([-1] if within else []) + (list(sessions) if cross else [])  # -1: within-session CV
    jobs = [(name, s) for name in builders for s in runs]
    directions: list[Direction] = []
    out: list[Score] = []
    sinks = {(n, k): _Collector(classes) for n in builders for k in SCHEMES}
    for name, s in progress(jobs, total=len(jobs), description="evaluating", enabled=show_progress):
        build = builders[name]
        if s < 0:
            oof = np.zeros((pooled.n_trials, classes.size))
            for train, test in stratified_folds(pooled.labels, folds, seed):
                clf = _timed_fit(build, pooled[train], sinks[name, "within"])
                oof[test] = clf.predict_proba(pooled[test])
            sinks[name, "within"].add(pooled.labels, oof)
            continue
        session = epochs[epochs.session == s]
        for t in sessions[sessions != s]:
            target = epochs[epochs.session == t]
            clf = _timed_fit(build, session, sinks[name, "cross"])
            proba = clf.predict_proba(target)
            sinks[name, "cross"].add(target.labels, proba)
            accuracy = float(np.mean(classes[proba.argmax(axis=1)] == target.labels))
            d = Direction(name, int(s), int(t), roc_auc(target.labels, proba, classes), accuracy)
            directions.append(d)
            if calibration_trials == 0 or calibration_trials >= target.n_trials - 1:
                continue
            rng = np.random.default_rng(seed + 1000 * int(t))
            held, tuned_sink = _Collector(classes), _Collector(classes)
            for _ in range(repeats):
                calib = stratified_pick(target.labels, calibration_trials, rng)
                rest = np.setdiff1d(np.arange(target.n_trials), calib)
                pr = clf.predict_proba(target[rest])
                sinks[name, "cross-heldout"].add(target.labels[rest], pr)
                held.add(target.labels[rest], pr)
                tic = time.perf_counter()
                tuned = copy.deepcopy(clf).calibrate(target[calib])
                sinks[name, "calibrated"].fit_s.append(time.perf_counter() - tic)
                pr = tuned.predict_proba(target[rest])
                sinks[name, "calibrated"].add(target.labels[rest], pr)
                tuned_sink.add(target.labels[rest], pr)
            h, c = held.score(name, "", 1.0), tuned_sink.score(name, "", 1.0)
            d.heldout_accuracy, d.calibrated_accuracy = h.accuracy, c.accuracy
            d.calibrated_roc_auc = c.roc_auc
    for (name, scheme), sink in sinks.items():
        if sink.groups:
            out.append(sink.score(name, scheme, epochs.duration_s))
    class_names = [epochs.class_names[c] for c in classes]
    result = EEGEvaluation(out, class_names, epochs.duration_s, names, directions=directions)
    if plot is not None:
        result.plots = plot_evaluation(result, plot)
    return result


def plot_evaluation(result: EEGEvaluation, folder: str | Path) -> list[Path]:
    """PNGs in ``folder``: ROC AUC per pipeline and scheme, and each confusion matrix."""
    from cortexlink.core.optional import pyplot

    plt = pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pipelines = list(dict.fromkeys(s.pipeline for s in result.scores))
    schemes = [k for k in SCHEMES if any(s.scheme == k for s in result.scores)]
    fig, ax = plt.subplots(figsize=(1.6 * len(pipelines) + 2, 3.5))
    width = 0.8 / len(schemes)
    for j, k in enumerate(schemes):
        vals = [
            next((s.roc_auc for s in result.scores if s.pipeline == p and s.scheme == k), np.nan)
            for p in pipelines
        ]
        ax.bar(np.arange(len(pipelines)) + j * width, vals, width, label=k)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_xticks(np.arange(len(pipelines)) + 0.4 - width / 2, pipelines, rotation=20)
    ax.set_ylabel("ROC AUC")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths = [folder / "roc_auc.png"]
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(
        len(pipelines), len(schemes), figsize=(2.4 * len(schemes), 2.2 * len(pipelines)), squeeze=False
    )
    for i, p in enumerate(pipelines):
        for j, k in enumerate(schemes):
            ax = axes[i, j]
            m = next((s.confusion for s in result.scores if s.pipeline == p and s.scheme == k), None)
            if m is not None:
                ax.imshow(m, cmap="Blues")
                for (r, c), v in np.ndenumerate(m):
                    ax.text(c, r, str(v), ha="center", va="center", fontsize=8)
            ax.set_title(f"{p}: {k}", fontsize=7)
            ax.set_xticks(range(len(result.class_names)), result.class_names, fontsize=6)
            ax.set_yticks(range(len(result.class_names)), result.class_names, fontsize=6)
    fig.tight_layout()
    paths.append(folder / "confusion.png")
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths
