"""A real Neuralink channel replayed through file_source -> filter -> threshold_crossings counts the
crossings an offline check finds at -4.5 sigma (the noise sigma: median |x| / 0.6745)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from cortexlink.dsp import Binner, ButterworthFilter, SelfCalibratingCrossings
from cortexlink.io import open_recording
from cortexlink.nodes.file_source import FileSource
from cortexlink.nodes.signal import Filter, ThresholdCrossingsNode

from .helpers import make_node

# a channel where thresholds at -4.5 x the plain RMS of the first second (3 % above the noise sigma:
# the spikes are in it) found nothing in the 4 s after it, while -4.5 sigma finds two crossings
FILE = "40113ce6-baad-42dc-ba65-2203f5a8bf60.wav"


def _replayed(path, estimator: str | None = None) -> tuple[np.ndarray, ThresholdCrossingsNode]:
    """Counts per 1 ms bin from the three nodes fed 1 ms chunks, as a graph runs them."""
    src = make_node(FileSource, {"path": str(path), "chunk_ms": 1.0, "realtime": False})
    raw = {"in": FileSource.describe_outputs(src.settings, {})["out"]}
    filt = make_node(Filter, {}, raw)
    filtered = {"in": Filter.describe_outputs(filt.settings, raw)["out"]}
    tc = make_node(ThresholdCrossingsNode, {} if estimator is None else {"estimator": estimator}, filtered)
    counts = []
    for out in src.generate():
        got = filt.process({"in": out["out"]})
        got = got and tc.process({"in": got["out"]})
        if got:
            counts.append(got["out"].data)
    return np.concatenate(counts, axis=1), tc


def _independent_check(x: np.ndarray, fs: float) -> int:
    """scipy's filter in float64, the exact median of the first second, crossings found in numpy
    with a 1 ms lockout, counted from the first sample after that second."""
    n1 = int(round(fs))
    y = sosfilt(butter(4, [250, 5000], btype="bandpass", fs=fs, output="sos"), x.astype(np.float64))
    threshold = -4.5 * np.median(np.abs(y[:n1])) / 0.6745
    starts = np.flatnonzero((y[n1:] < threshold) & (y[n1 - 1:-1] >= threshold)) + n1
    hits, last = 0, -(10 ** 9)
    for t in starts:
        if t - last >= round(fs * 1e-3):
            hits, last = hits + 1, t
    return hits


@pytest.fixture(scope="module")
def path(data_dir):
    return data_dir / "neuralink" / FILE


def test_streamed_chain_equals_offline_dsp_and_the_independent_check(path):
    rec = open_recording(path)
    fs = rec.sample_rate  # 19531 Hz: 20-sample chunks and bins of 1.024 ms
    counts, node = _replayed(path)
    offline = SelfCalibratingCrossings(fs).apply(ButterworthFilter(fs, 250.0, 5000.0, 4).apply(rec.data))
    binned = Binner(fs, 1.0, "sum").apply(offline)
    np.testing.assert_array_equal(counts, binned[:, :counts.shape[1]])
    assert counts.sum() == offline.sum()  # the partial bin at the end holds no crossing
    assert not counts[:, :int(fs) // 20].any()  # the first second measures the noise
    check = _independent_check(rec.data[0], fs)
    assert counts.sum() == check >= 2
    sigma = np.median(np.abs(ButterworthFilter(fs, 250.0, 5000.0, 4).apply(rec.data)[:, :int(fs)])) / 0.6745
    np.testing.assert_allclose(node.block.rms, [sigma], rtol=2e-3)


def test_a_plain_rms_is_raised_by_the_spikes_and_misses_them(path):
    counts, node = _replayed(path, "rms")
    mad, mad_node = _replayed(path)
    assert counts.sum() == 0 and mad.sum() >= 2
    assert node.block.rms[0] > 1.02 * mad_node.block.rms[0]
