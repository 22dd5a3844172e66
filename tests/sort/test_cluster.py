"""Clustering needs no number of clusters: it splits separated blobs and leaves one blob whole."""

from __future__ import annotations

import numpy as np

from cortexlink.sort.cluster import split_recursive


def test_finds_the_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0, 0], [8, 0, 0, 0], [0, 8, 1, 0], [5, 5, 6, 0]], float)
    sizes = [400, 150, 300, 60]
    x = np.concatenate([rng.normal(c, 1.0, (n, 4)) for c, n in zip(centres, sizes, strict=True)])
    truth = np.repeat(np.arange(4), sizes)
    labels = split_recursive(x, min_size=25, valley=0.55, rng=rng)
    assert labels.max() + 1 == 4
    for k in range(4):  # each cluster is one blob
        assert np.bincount(truth[labels == k]).max() / np.sum(labels == k) > 0.97


def test_one_blob_stays_whole():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (3000, 6)) * np.array([3, 1, 1, 1, 1, 1])
    assert split_recursive(x, min_size=25, valley=0.55, rng=rng).max() == 0
