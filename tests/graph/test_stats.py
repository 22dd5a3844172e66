"""Latency histograms: percentiles within a bin, exact max, and a lossless trip through a heartbeat."""

import numpy as np

from cortexlink.graph.stats import LatencyHistogram


def test_percentiles_are_within_one_bin_and_max_is_exact():
    rng = np.random.default_rng(0)
    values = rng.lognormal(mean=11, sigma=1, size=5000).astype(np.int64) + 1
    h = LatencyHistogram()
    for v in values:
        h.add(int(v))
    for q in (50, 90, 99):
        exact = np.percentile(values, q)
        assert abs(h.percentile(q) - exact) / exact < 0.05
    assert h.max_ns == values.max() and h.count == values.size
    again = LatencyHistogram.from_sparse(h.sparse())
    assert np.array_equal(again.counts, h.counts) and again.max_ns == h.max_ns
    merged = h.merge(again)
    assert merged.count == 2 * h.count and abs(merged.percentile(50) - h.percentile(50)) < 1e-9


def test_empty_histogram_says_nan():
    assert np.isnan(LatencyHistogram().percentile(50))
