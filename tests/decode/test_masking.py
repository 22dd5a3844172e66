"""Channel masks: exact re-solving where the model allows it, graceful holding elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.metrics import r2_score
from cortexlink.decode import load_decoder
from cortexlink.decode.kalman import KalmanFilter
from cortexlink.decode.wiener import WienerFilter

DEAD = [2, 5, 11]


def _train_test(population):
    X, Y = population
    return X[:, :2400], Y[:, :2400], X[:, 2400:2800], Y[:, 2400:2800]


def _live(n: int) -> np.ndarray:
    return np.setdiff1d(np.arange(n), DEAD)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WienerFilter(n_lags=3, ridge=1e-3),
        lambda: KalmanFilter(n_lags=2, q_ridge=0.1),
        lambda: KalmanFilter(n_lags=1, q_ridge=0.1, steady_state=True),
    ],
    ids=["wiener", "kalman", "kalman-ss"],
)
def test_a_masked_decoder_equals_one_fitted_without_those_channels(population, make):
    Xtr, Ytr, Xte, _ = _train_test(population)
    live = _live(Xtr.shape[0])
    masked = make().fit(Xtr, Ytr)
    masked.set_channel_mask(DEAD)
    without = make().fit(Xtr[live], Ytr)
    garbage = Xte.copy()
    garbage[DEAD] = 1e6  # whatever a dead electrode sends is ignored
    np.testing.assert_allclose(masked.predict(garbage), without.predict(Xte[live]), rtol=1e-7, atol=1e-9)


def test_masking_beats_zero_filling_and_an_empty_mask_restores_the_fit(population):
    Xtr, Ytr, Xte, Yte = _train_test(population)
    dec = WienerFilter(n_lags=3).fit(Xtr, Ytr)
    full = dec.predict(Xte)
    dead = np.arange(0, Xtr.shape[0], 2)  # half the channels
    zeroed = Xte.copy()
    zeroed[dead] = 0.0
    r2_zero = float(np.mean(r2_score(Yte, dec.predict(zeroed))))
    dec.set_channel_mask(dead)
    r2_masked = float(np.mean(r2_score(Yte, dec.predict(zeroed))))
    assert r2_masked > r2_zero
    dec.set_channel_mask([])
    np.testing.assert_array_equal(dec.predict(Xte), full)


def test_step_with_a_mask_equals_predict_and_ignores_nan_on_dead_channels(population):
    Xtr, Ytr, Xte, _ = _train_test(population)
    dec = KalmanFilter(n_lags=2).fit(Xtr, Ytr)
    mask = np.zeros(Xtr.shape[0], dtype=bool)
    mask[DEAD] = True
    dec.set_channel_mask(mask)
    expected = dec.predict(Xte)
    dec.set_channel_mask([])
    seq = Xte.copy()
    seq[DEAD] = np.nan
    out = np.stack([dec.step(seq[:, t], mask=mask) for t in range(seq.shape[1])], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    assert dec.channel_mask[DEAD].all() and dec.channel_mask.sum() == len(DEAD)


def test_the_mask_survives_save_and_load(population, tmp_path):
    Xtr, Ytr, Xte, _ = _train_test(population)
    dec = WienerFilter(n_lags=2).fit(Xtr, Ytr)
    dec.mask_channels(DEAD)
    back = load_decoder(dec.save(tmp_path / "w.npz"))
    np.testing.assert_array_equal(back.predict(Xte), dec.predict(Xte))
    np.testing.assert_array_equal(back.channel_mask, dec.channel_mask)
    back.set_channel_mask([])  # the stored statistics re-solve for all channels again
    np.testing.assert_allclose(back.predict(Xte), WienerFilter(n_lags=2).fit(Xtr, Ytr).predict(Xte))


def test_bad_masks_are_clear_errors(population):
    Xtr, Ytr, _, _ = _train_test(population)
    dec = WienerFilter(n_lags=2).fit(Xtr, Ytr)
    with pytest.raises(InvalidParameterError, match="out of range"):
        dec.set_channel_mask([Xtr.shape[0]])
    with pytest.raises(InvalidParameterError, match="one bool per input"):
        dec.set_channel_mask(np.zeros(3, dtype=bool))
    with pytest.raises(InvalidDataError, match="NaN"):
        dec.step(np.full(Xtr.shape[0], np.nan))  # NaN on a live channel is still refused


def test_a_hot_swap_continues_from_the_live_state_with_the_new_parameters(population):
    from cortexlink.decode.hotswap import HotSwap

    Xtr, Ytr, Xte, _ = _train_test(population)
    live = KalmanFilter(n_lags=2, q_ridge=0.1).fit(Xtr, Ytr)
    reference = KalmanFilter(n_lags=2, q_ridge=0.1).fit(Xtr, Ytr)
    swap = HotSwap()
    out = [live.step(Xte[:, t]) for t in range(50)]
    assert swap.prepare(live, lambda d: d.set_channel_mask(DEAD), "electrodes died")
    assert not swap.prepare(live, lambda d: None, "second")  # one change at a time
    live = swap.wait(live)
    out += [live.step(Xte[:, t]) for t in range(50, 100)]
    # the same as switching the mask between bins 49 and 50 without a swap
    expected = [reference.step(Xte[:, t]) for t in range(50)]
    reference.set_channel_mask(DEAD)
    expected += [reference.step(Xte[:, t]) for t in range(50, 100)]
    np.testing.assert_allclose(np.array(out), np.array(expected), rtol=1e-10, atol=1e-12)
    (record,) = swap.log
    assert record.reason == "electrodes died" and record.before != record.after


def test_masked_and_unmasked_steps_share_one_compiled_feature_kernel(population):
    """A strided column of a chunk and a masked copy reach the feature kernel in one memory layout,
    so the first bin after a mask swap loads no other compiled version of it (a late bin live)."""
    from cortexlink.decode import features

    X, Y = population
    dec = KalmanFilter().fit(X, Y)
    chunk = np.ascontiguousarray(X[:, :20])
    for k in range(10):
        dec.step(chunk[:, k])  # a strided view, as the decoder node passes it
    compiled = set(features._feature_step.signatures)
    mask = np.zeros(X.shape[0], bool)
    mask[:3] = True
    dec.set_channel_mask(mask)
    for k in range(10, 20):
        dec.step(chunk[:, k])
    assert set(features._feature_step.signatures) == compiled
