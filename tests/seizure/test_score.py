"""score_channels (the query language's seizure score)."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.seizure import score_channels

from .conftest import RATE


def test_scores_are_per_channel_probabilities_higher_in_a_seizure(spread_scene):
    rec = spread_scene.recordings["site0"]
    ictal = rec.data[:, int(14 * RATE):int(16 * RATE)]
    quiet = rec.data[:, int(1 * RATE):int(3 * RATE)]
    s_ictal = score_channels(ictal, RATE, gain_uv=rec.gain_uv)
    s_quiet = score_channels(quiet, RATE, gain_uv=rec.gain_uv)
    assert s_ictal.shape == (rec.n_channels,) and s_ictal.dtype == np.float64
    assert np.all((s_ictal >= 0) & (s_ictal <= 1))
    assert s_ictal.min() > 0.5 > s_quiet.max()
    # int16 counts with their gain == the same block in microvolts
    in_uv = ictal.astype(np.float32) * rec.gain_uv
    np.testing.assert_allclose(score_channels(in_uv, RATE), s_ictal, atol=1e-6)


def test_a_model_file_can_be_given(tmp_path, spread_scene):
    from cortexlink.seizure import default_detector

    path = default_detector().save(tmp_path / "d.npz")
    rec = spread_scene.recordings["site1"]
    block = rec.data[:, :int(2 * RATE)]
    np.testing.assert_array_equal(score_channels(block, RATE, detector=path, gain_uv=rec.gain_uv),
                                  score_channels(block, RATE, gain_uv=rec.gain_uv))


def test_bad_blocks():
    with pytest.raises(InvalidDataError):
        score_channels(np.zeros(500), RATE)
    with pytest.raises(InvalidDataError, match="shorter than one"):
        score_channels(np.zeros((2, 10)), RATE)
    x = np.zeros((2, 500))
    x[0, 3] = np.inf
    with pytest.raises(InvalidDataError, match="NaN"):
        score_channels(x, RATE)


def test_threads_sharing_the_default_detector_get_the_serial_scores(spread_scene):
    """The query engine scores blocks from several threads at once, with no lock."""
    from concurrent.futures import ThreadPoolExecutor

    rec = spread_scene.recordings["site0"]
    blocks = [rec.data[:, int(s * RATE):int((s + 2) * RATE)] for s in (1, 5, 9, 13, 15, 17)]
    serial = [score_channels(b, RATE, gain_uv=rec.gain_uv) for b in blocks]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            threaded = list(pool.map(lambda b: score_channels(b, RATE, gain_uv=rec.gain_uv), blocks * 2))
            for got, want in zip(threaded, serial * 2, strict=True):
                np.testing.assert_array_equal(got, want)
