"""The shared interface: step == predict, save/load round trips, kind checks, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, ModelFileError, NotFittedError
from cortexlink.decode import KalmanFilter, WienerFilter, load_decoder

from .helpers import CLASSIFIERS, REGRESSORS, build

ALL = REGRESSORS + CLASSIFIERS


@pytest.mark.parametrize("name", ALL)
def test_step_equals_predict(name, fitted, population):
    X, _ = population
    dec = fitted(name)
    seq = X[:, 2400:2700]
    offline = dec.predict(seq)
    dec.reset()
    online = np.stack([dec.step(seq[:, t]) for t in range(seq.shape[1])], axis=1)
    assert offline.shape == online.shape == (dec.n_outputs_, seq.shape[1])
    np.testing.assert_allclose(online, offline, rtol=1e-9, atol=1e-9)
    # reset returns to rest: a second pass gives the same again
    dec.reset()
    np.testing.assert_allclose(dec.step(seq[:, 0]), offline[:, 0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ALL)
def test_causal(name, fitted, population):
    """Changing bin t leaves every output before t unchanged."""
    X, _ = population
    dec = fitted(name)
    seq = X[:, 2400:2600].copy()
    before = dec.predict(seq)
    seq[:, 150:] += 5.0
    after = dec.predict(seq)
    np.testing.assert_array_equal(after[:, :150], before[:, :150])


@pytest.mark.parametrize("name", ALL)
def test_save_load_round_trip(name, fitted, population, tmp_path):
    X, _ = population
    dec = fitted(name)
    path = tmp_path / f"model.{dec.container}"
    dec.save(path)
    again = load_decoder(path)
    assert type(again) is type(dec) and again.params() == dec.params()
    seq = X[:, 2400:2600]
    np.testing.assert_array_equal(again.predict(seq), dec.predict(seq))
    again.reset()
    dec.reset()
    np.testing.assert_array_equal(again.step(seq[:, 0]), dec.step(seq[:, 0]))
    assert type(type(dec).load(path)) is type(dec)


def test_load_of_another_kind_is_clear(fitted, tmp_path):
    path = fitted("wiener").save(tmp_path / "w.npz")
    with pytest.raises(ModelFileError, match="holds a 'wiener' decoder, not 'kalman'"):
        KalmanFilter.load(path)


@pytest.mark.parametrize("name", ["kalman", "gru"])
def test_tampered_file_is_refused(name, fitted, tmp_path):
    dec = fitted(name)
    path = dec.save(tmp_path / f"m.{dec.container}")
    raw = bytearray(path.read_bytes())
    if dec.container == "npz":
        import io

        with np.load(io.BytesIO(bytes(raw)), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["A"] = arrays["A"] * 1.001
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    else:
        raw[-3] ^= 0xFF  # a weight byte near the end of the file
        path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load_decoder(path)


def test_garbage_and_foreign_files(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01\x02\x03\x04not a model at all" * 3)
    with pytest.raises(ModelFileError):
        load_decoder(junk)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a cortexlink decoder"):
        load_decoder(foreign)
    with pytest.raises(CortexlinkError, match="no decoder file"):
        load_decoder(tmp_path / "missing.npz")


def test_pickled_object_array_is_not_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __meta__=np.array([{"kind": "wiener"}], dtype=object))
    with pytest.raises(ModelFileError):
        load_decoder(path)


@pytest.mark.parametrize("name", ["wiener", "kalman", "gru"])
def test_bad_input_is_clear(name, fitted, population):
    X, Y = population
    with pytest.raises(InvalidDataError, match="bins"):
        build(name).fit(X[:, :500], Y[:, :400])
    bad = X[:, :500].copy()
    bad[3, 7] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        build(name).fit(bad, Y[:, :500])
    with pytest.raises(InvalidDataError, match="bins"):
        build(name, n_lags=8).fit(X[:, :6], Y[:, :6]) if name != "gru" else build(name).fit(
            X[:, :6], Y[:, :6]
        )
    dec = fitted(name)
    with pytest.raises(InvalidDataError, match=r"step expects one bin of shape \(40,\)"):
        dec.step(np.zeros(39))
    with pytest.raises(InvalidDataError, match="NaN"):
        dec.step(np.full(40, np.nan))
    with pytest.raises(InvalidDataError, match="fitted on 40"):
        dec.predict(X[:30, :100])
    with pytest.raises(InvalidDataError, match="2-D"):
        dec.predict(X[0])


def test_unfitted_use_is_clear():
    with pytest.raises(NotFittedError, match="not fitted"):
        WienerFilter().predict(np.zeros((3, 10)))
    with pytest.raises(NotFittedError):
        KalmanFilter().step(np.zeros(3))


def test_masking_a_channel_removes_its_influence(population):
    X, Y = population
    dec = WienerFilter().fit(X[:, :2400], Y[:, :2400])
    dec.mask_channels([5])
    seq = X[:, 2400:2600].copy()
    base = dec.predict(seq)
    seq[5] = 0.0  # a dead electrode
    np.testing.assert_array_equal(dec.predict(seq), base)
