"""Compare a sorting with ground truth: spikes matched within ``delta_ms``, units paired by the
Hungarian algorithm on their agreement, accuracy per true unit.

Agreement of a true and a found unit = matched / (n_true + n_found - matched); pairs below
``match_score`` are never paired. For each true unit: TP = spikes matched to its partner,
FN = its spikes left over, FP = the partner's spikes left over; accuracy = TP / (TP + FN + FP).
The same definitions as SpikeInterface's ``compare_sorter_to_ground_truth`` (tests check both give
the same numbers), with no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import linear_sum_assignment

from cortexlink.core.errors import InvalidDataError
from cortexlink.sort.sorting import Sorting


@njit(cache=True)
def _match_counts(t1: np.ndarray, u1: np.ndarray, t2: np.ndarray, u2: np.ndarray, n1: int, n2: int,
                  delta: int) -> np.ndarray:
    """``counts[i, j]``: spikes of unit i (train 1) matched one-to-one, in time order, with spikes of
    unit j (train 2) at most ``delta`` samples away. Both trains sorted by time."""
    counts = np.zeros((n1, n2), np.int64)
    last1 = -np.ones((n1, n2), np.int64)  # last spike of train 1 that pair (i, j) used
    last2 = -np.ones((n1, n2), np.int64)  # last spike of train 2 that pair (i, j) used
    start = 0
    for a in range(t1.size):
        while start < t2.size and t2[start] < t1[a] - delta:
            start += 1
        i = u1[a]
        b = start
        while b < t2.size and t2[b] <= t1[a] + delta:
            j = u2[b]
            if a > last1[i, j] and b > last2[i, j]:
                counts[i, j] += 1
                last1[i, j] = a
                last2[i, j] = b
            b += 1
    return counts


@dataclass
class Comparison:
    """Per true unit (``truth_ids`` order): partner, TP/FN/FP, accuracy, precision, recall."""

    truth_ids: np.ndarray
    found_ids: np.ndarray
    match_counts: np.ndarray     # (n_true, n_found)
    agreement: np.ndarray        # (n_true, n_found)
    partner: np.ndarray          # found unit id paired with each true unit, -1 none
    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    well_detected_score: float = 0.8
    redundant_score: float = 0.2

    @property
    def accuracy(self) -> np.ndarray:
        return _ratio(self.tp, self.tp + self.fn + self.fp)

    @property
    def precision(self) -> np.ndarray:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> np.ndarray:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def n_well_detected(self) -> int:
        """True units whose partner agrees with them at ``well_detected_score`` or more."""
        return int(np.sum(self.accuracy >= self.well_detected_score))

    @property
    def false_positive_units(self) -> np.ndarray:
        """Found units paired with no true unit and agreeing with none at ``redundant_score``."""
        paired = np.isin(self.found_ids, self.partner)
        best = self.agreement.max(axis=0) if self.agreement.size else np.zeros(self.found_ids.size)
        return self.found_ids[~paired & (best < self.redundant_score)]

    def summary(self) -> dict[str, float]:
        """Mean accuracy, precision and recall over true units, well-detected and false-positive units."""
        return {"accuracy": float(self.accuracy.mean()) if self.tp.size else 0.0,
                "precision": float(self.precision.mean()) if self.tp.size else 0.0,
                "recall": float(self.recall.mean()) if self.tp.size else 0.0,
                "well_detected": self.n_well_detected,
                "false_positive_units": int(self.false_positive_units.size),
                "n_true": int(self.truth_ids.size), "n_found": int(self.found_ids.size)}


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(b > 0, a / np.maximum(b, 1), 0.0)


def compare_to_ground_truth(found: Sorting, truth: Sorting, delta_ms: float = 0.4, match_score: float = 0.5,
                            well_detected_score: float = 0.8, redundant_score: float = 0.2) -> Comparison:
    """Compare ``found`` with ``truth`` (same sample rate): see the module docstring."""
    if not np.isclose(found.sample_rate, truth.sample_rate):
        raise InvalidDataError(f"the sortings are at {found.sample_rate:g} and {truth.sample_rate:g} Hz; "
                               "compare sortings of the same recording")
    delta = int(round(delta_ms * truth.sample_rate / 1000.0))
    counts = _match_counts(truth.spike_samples, truth.unit_index(), found.spike_samples, found.unit_index(),
                           truth.n_units, found.n_units, delta)
    n_true, n_found = truth.spike_counts(), found.spike_counts()
    counts = np.minimum(counts, n_found[None, :])
    denom = n_true[:, None] + n_found[None, :] - counts
    agreement = np.where(denom > 0, counts / np.maximum(denom, 1), 0.0)
    scores = np.where(agreement >= match_score, agreement, 0.0)
    partner = np.full(truth.n_units, -1, np.int64)
    tp, fp = np.zeros(truth.n_units, np.int64), np.zeros(truth.n_units, np.int64)
    rows, cols = linear_sum_assignment(-scores) if scores.size else (np.zeros(0, int), np.zeros(0, int))
    for i, j in zip(rows, cols, strict=True):
        if agreement[i, j] >= match_score:
            partner[i] = found.unit_ids[j]
            tp[i] = counts[i, j]
            fp[i] = n_found[j] - counts[i, j]
    return Comparison(truth.unit_ids, found.unit_ids, counts, agreement, partner, tp, n_true - tp, fp,
                      well_detected_score, redundant_score)
