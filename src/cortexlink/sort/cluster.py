"""Clustering that needs no number of units: recursive splitting on unimodality tests.

In the spirit of isosplit: a cluster is split in two by 2-means, the points are projected on the
discriminant axis of that split, and the split is kept only when the projection's density has a
clear valley (``bimodal_cut``: a valley below ``valley`` x the lower of the two peaks, and deeper
than counting noise). Each half is then tested again, until no cluster splits. ``unimodal``, the
same test on two given groups, is what merges clusters of the same unit later.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

_GRID = 400          # density grid points
_ITERATIONS = 30     # 2-means iterations
_SIGNIFICANCE = 4.0  # valley depth in standard deviations of its count
_STARTS = ("axis", "random", "random")  # 2-means starts tried per split


def two_means(z: np.ndarray, rng: np.random.Generator, start: str = "axis") -> np.ndarray:
    """Labels 0/1 of a 2-means split of ``z`` (n, d) whose columns are principal components:
    started from the halves of the first component (``axis``) or k-means++ (``random``)."""
    n = z.shape[0]
    if start == "axis":
        half = z[:, 0] > np.median(z[:, 0])
        centres = np.stack([z[half].mean(axis=0), z[~half].mean(axis=0)])
    else:
        first = z[rng.integers(n)]
        d2 = ((z - first) ** 2).sum(axis=1)
        second = z[rng.choice(n, p=d2 / d2.sum())] if d2.sum() > 0 else z[rng.integers(n)]
        centres = np.stack([first, second])
    labels = np.full(n, -1, np.int64)
    for _ in range(_ITERATIONS):
        dist = ((z[:, None, :] - centres[None]) ** 2).sum(axis=2)
        new = np.argmin(dist, axis=1)
        if (new == labels).all():
            break
        labels = new
        for k in range(2):
            if (labels == k).any():
                centres[k] = z[labels == k].mean(axis=0)
    return labels


def discriminant(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fisher's discriminant axis between the two labelled groups of ``z``."""
    a, b = z[labels == 0], z[labels == 1]
    within = np.cov(a.T, bias=True).reshape(z.shape[1], -1) * a.shape[0]
    within = within + np.cov(b.T, bias=True).reshape(z.shape[1], -1) * b.shape[0]
    within = within / z.shape[0] + 1e-6 * np.eye(z.shape[1]) * np.trace(within) / max(z.shape[1], 1)
    w = np.linalg.solve(within, a.mean(axis=0) - b.mean(axis=0))
    norm = np.linalg.norm(w)
    return w / norm if norm > 0 else w


def bimodal_cut(p: np.ndarray, groups: np.ndarray, valley: float) -> tuple[float, float] | None:
    """``(cut, valley / peak)``: where to cut ``p`` (1-D) when its density is bimodal, else None.

    ``groups`` (0/1) tells where the two candidate modes are; the density is a Gaussian kernel
    estimate whose bandwidth follows the spread within the groups.
    """
    a, b = p[groups == 0], p[groups == 1]
    if a.size < 2 or b.size < 2:
        return None
    spread = np.sqrt((a.var() * a.size + b.var() * b.size) / p.size)
    lo, hi = np.percentile(p, [0.2, 99.8])
    if not spread > 0 or not hi > lo:
        return None
    h = 1.06 * spread * p.size ** -0.2
    counts, edges = np.histogram(p, bins=_GRID, range=(lo, hi))
    width = edges[1] - edges[0]
    density = gaussian_filter1d(counts.astype(np.float64), sigma=max(h / width, 1.0), mode="constant")
    centres = 0.5 * (edges[1:] + edges[:-1])
    ia, ib = np.searchsorted(centres, [np.median(a), np.median(b)])
    i0, i1 = sorted((int(np.clip(ia, 0, _GRID - 1)), int(np.clip(ib, 0, _GRID - 1))))
    if i1 - i0 < 2:
        return None
    v = i0 + int(np.argmin(density[i0:i1 + 1]))
    left, right = density[:v + 1].max(), density[v:].max()
    low_peak = min(left, right)
    # counts in a window of the kernel's width, to judge the valley against counting noise
    scale = 2.5 * max(h / width, 1.0)
    depth = (low_peak - density[v]) * scale
    if density[v] < valley * low_peak and depth > _SIGNIFICANCE * np.sqrt(max(low_peak * scale, 1.0)):
        return float(centres[v]), float(density[v] / low_peak)
    return None


def unimodal(p: np.ndarray, groups: np.ndarray, valley: float) -> bool:
    """``p`` (1-D projections of two groups) shows no valley between them."""
    return bimodal_cut(p, groups, valley) is None


def _best_split(z: np.ndarray, min_size: int, valley: float, rng: np.random.Generator) -> np.ndarray | None:
    """The mask of one side of the clearest bimodal split of ``z`` among a few 2-means starts, or None."""
    best, best_depth = None, np.inf
    for start in _STARTS:
        groups = two_means(z, rng, start)
        if min(groups.sum(), groups.size - groups.sum()) < 2:
            continue
        p = z @ discriminant(z, groups)
        cut = bimodal_cut(p, groups, valley)
        if cut is None:
            continue
        below = p < cut[0]
        if min(below.sum(), below.size - below.sum()) >= min_size and cut[1] < best_depth:
            best, best_depth = below, cut[1]
    return best


def split_recursive(features: np.ndarray, min_size: int, valley: float, n_dims: int = 6,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """Cluster labels (0 ..) of ``features`` (n, d) by recursive bimodal splits (module doc)."""
    rng = rng or np.random.default_rng(0)
    n = features.shape[0]
    labels = np.zeros(n, np.int64)
    stack = [np.arange(n)]
    done: list[np.ndarray] = []
    while stack:
        idx = stack.pop()
        if idx.size < 2 * min_size:
            done.append(idx)
            continue
        z = features[idx] - features[idx].mean(axis=0)
        sub = z[:: max(1, idx.size // 4000)]
        _, vecs = np.linalg.eigh(sub.T @ sub)
        z = z @ vecs[:, ::-1][:, : min(n_dims, z.shape[1])]
        below = _best_split(z, min_size, valley, rng)
        if below is None:
            done.append(idx)
            continue
        stack.extend([idx[below], idx[~below]])
    for k, idx in enumerate(done):
        labels[idx] = k
    return refine(features, labels)


def refine(features: np.ndarray, labels: np.ndarray, iterations: int = _ITERATIONS) -> np.ndarray:
    """Labels moved to their nearest cluster centre until none moves (k-means started from the
    splits): a cut along one axis leaves points on the wrong side that the full space places right.
    A cluster that empties is dropped (labels are made consecutive)."""
    k = int(labels.max()) + 1 if labels.size else 0
    if k < 2:
        return labels
    z = features.astype(np.float64)
    for _ in range(iterations):
        live = np.unique(labels)
        centres = np.stack([z[labels == j].mean(axis=0) for j in live])
        d2 = (centres ** 2).sum(axis=1)[None, :] - 2 * z @ centres.T
        new = live[np.argmin(d2, axis=1)]
        if (new == labels).all():
            break
        labels = new
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)
