"""The classifiers behind the seizure detectors, each kept as plain arrays (no pickle).

- ``LinearSVM``: standardised features, a linear SVM (scikit-learn ``LinearSVC``, balanced
  classes) and a Platt sigmoid on its margin for probabilities: the Hull / Shiao 2017 baseline.
- ``BoostedTrees``: scikit-learn's ``HistGradientBoostingClassifier``, whose trees are copied
  into flat arrays (feature, threshold, children, leaf value) and evaluated by a numba loop, so a
  saved model needs neither pickle nor a matching scikit-learn version.

Both: ``fit(X, y)``, ``decision(X)`` -> probabilities of class 1, ``arrays()`` / ``from_arrays``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidDataError, ModelFileError
from cortexlink.core.optional import require


def _sklearn(purpose: str):
    return require("sklearn", "seizure", purpose)


def _check_two_classes(y: np.ndarray) -> None:
    classes = np.unique(y)
    if classes.size != 2:
        raise InvalidDataError(
            f"training needs windows of both classes (seizure and not), got only {classes.tolist()}; "
            "give recordings with and without seizures")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LinearSVM:
    """Linear SVM with Platt-scaled probabilities (the Hull baseline)."""

    kind = "svm"

    def __init__(self, c: float = 0.1) -> None:
        self.c = float(c)
        self.mean = self.scale = self.coef = None
        self.intercept = 0.0
        self.platt = np.array([1.0, 0.0])

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearSVM:
        _check_two_classes(y)
        _sklearn("the linear SVM seizure detector")
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        self.mean = X.mean(axis=0)
        self.scale = np.where(X.std(axis=0) > 1e-12, X.std(axis=0), 1.0)
        Z = (X - self.mean) / self.scale
        clf = LinearSVC(C=self.c, class_weight="balanced", dual="auto", max_iter=5000, random_state=0)
        clf.fit(Z, y)
        self.coef = clf.coef_[0].astype(np.float64)
        self.intercept = float(clf.intercept_[0])
        margin = (Z @ self.coef + self.intercept)[:, None]
        platt = LogisticRegression(C=1e4).fit(margin, y)
        self.platt = np.array([float(platt.coef_[0, 0]), float(platt.intercept_[0])])
        return self

    def params(self) -> dict:
        return {"c": self.c}

    def margin(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def decision(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid(self.platt[0] * self.margin(X) + self.platt[1])

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale, "coef": self.coef,
                "intercept": np.array([self.intercept]), "platt": self.platt}

    @classmethod
    def from_arrays(cls, params: dict, arrays: dict[str, np.ndarray]) -> LinearSVM:
        m = cls(params.get("c", 0.1))
        m.mean, m.scale, m.coef = arrays["mean"], arrays["scale"], arrays["coef"]
        m.intercept = float(arrays["intercept"][0])
        m.platt = arrays["platt"]
        return m


@njit(cache=True)
def _tree_sum(X, roots, feature, threshold, left, right, is_leaf, missing_left, value, out):
    for i in range(X.shape[0]):
        total = 0.0
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                v = X[i, feature[node]]
                if v != v:
                    go_left = missing_left[node]
                else:
                    go_left = v <= threshold[node]
                node = roots[t] + (left[node] if go_left else right[node])
            total += value[node]
        out[i] += total


class BoostedTrees:
    """Gradient-boosted trees (histogram GBDT), kept as flat arrays."""

    kind = "gbt"
    _FIELDS = ("feature", "threshold", "left", "right", "is_leaf", "missing_left", "value", "roots")

    def __init__(self, n_trees: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 l2: float = 1.0, seed: int = 0) -> None:
        self.n_trees = int(n_trees)
        self.learning_rate = float(learning_rate)
        self.max_leaf_nodes = int(max_leaf_nodes)
        self.l2 = float(l2)
        self.seed = int(seed)
        self.baseline = 0.0
        self.tables: dict[str, np.ndarray] = {}

    def fit(self, X: np.ndarray, y: np.ndarray) -> BoostedTrees:
        _check_two_classes(y)
        _sklearn("the gradient-boosted seizure detector")
        from sklearn.ensemble import HistGradientBoostingClassifier

        clf = HistGradientBoostingClassifier(
            max_iter=self.n_trees, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2, class_weight="balanced", early_stopping=False, random_state=self.seed)
        clf.fit(X, y)
        nodes = [p[0].nodes for p in clf._predictors]
        sizes = np.array([len(n) for n in nodes])
        allnodes = np.concatenate(nodes)
        self.baseline = float(np.ravel(clf._baseline_prediction)[0])
        self.tables = {
            "feature": allnodes["feature_idx"].astype(np.int64),
            "threshold": allnodes["num_threshold"].astype(np.float64),
            "left": allnodes["left"].astype(np.int64),
            "right": allnodes["right"].astype(np.int64),
            "is_leaf": allnodes["is_leaf"].astype(np.bool_),
            "missing_left": allnodes["missing_go_to_left"].astype(np.bool_),
            "value": allnodes["value"].astype(np.float64),
            "roots": np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        }
        return self

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.full(X.shape[0], self.baseline)
        t = self.tables
        _tree_sum(X, t["roots"], t["feature"], t["threshold"], t["left"], t["right"], t["is_leaf"],
                  t["missing_left"], t["value"], out)
        return _sigmoid(out)

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.tables, "baseline": np.array([self.baseline])}

    @classmethod
    def from_arrays(cls, params: dict, arrays: dict[str, np.ndarray]) -> BoostedTrees:
        m = cls(**{k: params[k] for k in ("n_trees", "learning_rate", "max_leaf_nodes", "l2", "seed")
                   if k in params})
        missing = [k for k in cls._FIELDS if k not in arrays]
        if missing or "baseline" not in arrays:
            raise ModelFileError(f"boosted-tree model file lacks arrays {missing or ['baseline']}")
        m.tables = {k: arrays[k] for k in cls._FIELDS}
        n_nodes = m.tables["feature"].size
        ends = np.append(m.tables["roots"][1:], n_nodes)
        for k in ("threshold", "left", "right", "is_leaf", "missing_left", "value"):
            if m.tables[k].size != n_nodes:
                raise ModelFileError("boosted-tree model file has arrays of different lengths")
        inner = ~m.tables["is_leaf"]
        tree_of = np.searchsorted(m.tables["roots"], np.arange(n_nodes), side="right") - 1
        for k in ("left", "right"):
            child = m.tables["roots"][tree_of] + m.tables[k]
            if np.any(inner & ((m.tables[k] <= 0) | (child >= ends[tree_of]))):
                raise ModelFileError("boosted-tree model file has a child index outside its tree")
        m.baseline = float(arrays["baseline"][0])
        return m

    def params(self) -> dict:
        return {"n_trees": self.n_trees, "learning_rate": self.learning_rate,
                "max_leaf_nodes": self.max_leaf_nodes, "l2": self.l2, "seed": self.seed}


def check_feature_index(model: BoostedTrees, n_features: int) -> None:
    """A loaded tree model must not index past the feature vector."""
    t = model.tables
    inner = ~t["is_leaf"]
    if np.any(inner & ((t["feature"] < 0) | (t["feature"] >= n_features))):
        raise ModelFileError("boosted-tree model file indexes a feature the detector does not compute")


MODELS = {"svm": LinearSVM, "gbt": BoostedTrees}
