"""Seizure detectors: they find simulated seizures, stay quiet without them, stream like they batch,
save and load safely, and refuse bad input clearly."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError, ModelFileError
from cortexlink.seizure import OnsetDetector, SeizureDetector, default_detector
from cortexlink.seizure.datasets import LabelledRecording
from cortexlink.seizure.evaluate import evaluate_recordings
from cortexlink.seizure.score import scene_examples
from cortexlink.sim.scene import simulate_scene

from .conftest import RATE


def _labelled(scene):
    on, off = scene.truth.seizure_onsets_s, scene.truth.seizure_offsets_s
    return [LabelledRecording(rec, [(on[s], off[s])] if s in on else [], name=s)
            for s, rec in scene.recordings.items()]


@pytest.fixture(scope="module")
def fitted(train_scene):
    recs, labels = scene_examples(train_scene)
    return {"gbt": SeizureDetector("gbt", n_trees=40).fit(recs, labels),
            "svm": SeizureDetector("svm").fit(recs, labels)}


@pytest.mark.parametrize("model", ["gbt", "svm", "default"])
def test_detectors_find_every_simulated_seizure(fitted, spread_scene, model):
    det = default_detector() if model == "default" else fitted[model]
    items = [i for i in _labelled(spread_scene) if i.seizures]
    ev = evaluate_recordings(det, items, OnsetDetector(threshold=0.5, k=3, n=4, min_channels=2))
    assert ev.sensitivity == 1.0
    assert all(lat < 12.0 for r in ev.results for lat in r.latencies_s)


def test_no_event_on_minutes_of_seizure_free_data():
    scene = simulate_scene(n_sites=1, channels_per_site=4, seconds=180.0, sample_rate=RATE, seed=7, task=None)
    item = LabelledRecording(scene.recordings["site0"], [], name="free")
    onset = OnsetDetector(threshold=0.5, k=3, n=4, min_channels=2)
    ev = evaluate_recordings(default_detector(), [item], onset)
    assert ev.results[0].false_alarms == 0


def test_streaming_equals_batch(fitted, train_scene):
    det = fitted["gbt"]
    rec = train_scene.recordings["site0"].time_slice(0, 12)
    whole = det.predict_proba(rec)
    det.reset()
    parts, ends = [], []
    for chunk in rec.chunks(97):
        p, e = det.step(Chunk(chunk.data, chunk.start_sample, RATE), gain_uv=rec.gain_uv)
        parts.append(p)
        ends.append(e)
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.concatenate(ends), det.window_end_times(whole.shape[0], RATE))


def test_boosted_trees_match_sklearn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from cortexlink.seizure.models import BoostedTrees

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.5).astype(int)
    ours = BoostedTrees(n_trees=30).fit(X, y)
    ref = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=31, l2_regularization=1.0,
                                         class_weight="balanced", early_stopping=False,
                                         random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.decision(X), ref.predict_proba(X)[:, 1], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("model", ["gbt", "svm"])
def test_save_load_round_trip_and_tampering(fitted, train_scene, tmp_path, model):
    det = fitted[model]
    path = det.save(tmp_path / f"{model}.npz")
    back = SeizureDetector.load(path)
    rec = train_scene.recordings["site1"].time_slice(0, 6)
    np.testing.assert_array_equal(back.predict_proba(rec), det.predict_proba(rec))
    with np.load(path) as z:
        arrays = {k: z[k].copy() for k in z.files}
    name = next(k for k in arrays if k != "__meta__" and arrays[k].dtype.kind == "f")
    arrays[name].flat[0] += 1.0      # one weight changed after saving: the checksum no longer fits
    bad = tmp_path / "tampered.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ModelFileError, match="checksum"):
        SeizureDetector.load(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(ModelFileError):
        SeizureDetector.load(foreign)


def test_a_decoder_file_is_not_a_seizure_detector(tmp_path):
    from cortexlink.decode.modelfile import write_model

    path = write_model(tmp_path / "dec.npz", "wiener", {}, {"w": np.zeros(2)})
    with pytest.raises(ModelFileError, match="not a seizure detector"):
        SeizureDetector.load(path)


def test_bad_input_is_a_clear_error(fitted, train_scene):
    det = fitted["gbt"]
    rec = train_scene.recordings["site0"]
    with pytest.raises(InvalidDataError, match="shorter than one"):
        det.predict_proba(rec.data[:, :100], RATE)
    x = rec.microvolts()[:, :1000].copy()
    x[1, 10] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        det.predict_proba(x, RATE)
    with pytest.raises(InvalidDataError, match="trained on 4 channels"):
        det.predict_proba(rec.data[:3, :1000], RATE)
    with pytest.raises(InvalidParameterError, match="unknown seizure feature"):
        SeizureDetector(features=["wavelets"])
    with pytest.raises(InvalidParameterError, match="unknown seizure model"):
        SeizureDetector("forest")
    with pytest.raises(InvalidDataError, match="both classes"):
        SeizureDetector("svm").fit([rec.time_slice(0, 5)], [0])
