"""Bad input gets a 4xx JSON error that says what was wrong, never a 5xx or a traceback; models
and recordings round trip (encrypted at rest too), with byte ranges."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from cortexlink.serve.errors import ApiError

from .conftest import N_FEATURES
from .helpers import bearer


def _json_error(r, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "detail"} and "Traceback" not in r.text
    for word in words:
        assert word in str(body["detail"]), body


@pytest.fixture
def loaded(client, tokens, model_bytes):
    r = client.put("/models/m.npz", content=model_bytes, headers=bearer(tokens["admin"]))
    assert r.status_code == 201 and r.json()["n_features"] == N_FEATURES
    return client


def test_decode_answers_and_refuses_bad_windows(loaded, tokens):
    h = bearer(tokens["read"])
    window = np.random.default_rng(1).normal(size=(N_FEATURES, 20))
    r = loaded.post("/decode", json={"model": "m.npz", "features": window.tolist()}, headers=h)
    assert r.status_code == 200 and len(r.json()["velocity"]) == 2 and r.json()["latency_us"] > 0
    _json_error(
        loaded.post("/decode", json={"model": "m.npz", "features": window[:5].tolist()}, headers=h),
        422,
        f"takes {N_FEATURES} features",
        "got 5",
    )
    nan = window.copy()
    nan[3, 4] = math.nan
    text = '{"model": "m.npz", "features": ' + str(nan.tolist()).replace("nan", "NaN") + "}"
    _json_error(
        loaded.post("/decode", content=text, headers={**h, "Content-Type": "application/json"}), 422, "NaN"
    )
    _json_error(
        loaded.post("/decode", json={"model": "nope.npz", "features": window.tolist()}, headers=h),
        404,
        "no model 'nope.npz'",
    )
    _json_error(
        loaded.post("/decode", json={"model": "m.npz", "features": [[1.0, 2.0], [3.0]]}, headers=h),
        422,
        "rectangle",
    )
    _json_error(loaded.post("/decode", json={"model": "m.npz", "features": "x"}, headers=h), 422)
    _json_error(
        loaded.post("/decode", content=b"{not json", headers={**h, "Content-Type": "application/json"}), 422
    )


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_decode_npy_matches_json_and_refuses_bad_arrays(loaded, tokens):
    h = {**bearer(tokens["read"]), "Content-Type": "application/x-npy"}
    window = np.random.default_rng(2).normal(size=(N_FEATURES, 15))
    as_json = loaded.post(
        "/decode", json={"model": "m.npz", "features": window.tolist()}, headers=bearer(tokens["read"])
    ).json()
    for array in (window, window.astype(np.float32), np.asfortranarray(window)):
        r = loaded.post("/decode/npy?model=m.npz", content=_npy(array), headers=h)
        assert r.status_code == 200, r.text
        assert np.allclose(r.json()["velocity"], as_json["velocity"], rtol=1e-4, atol=1e-4)
    url = "/decode/npy?model=m.npz"
    for body, words in [
        (b"\x93NUMPY junk", ".npy"),
        (_npy(window)[:-8], "bytes follow"),
        (_npy(window[0]), "(features, bins)"),
        (_npy(window[:4]), "got 4"),
        (_npy(np.array([["a"]])), "numbers"),
    ]:
        _json_error(loaded.post(url, content=body, headers=h), 422, words)
    nan = window.copy()
    nan[0, 0] = math.nan
    _json_error(loaded.post("/decode/npy?model=m.npz", content=_npy(nan), headers=h), 422, "NaN")
    _json_error(loaded.post("/decode/npy?model=x.npz", content=_npy(window), headers=h), 404, "no model")


def test_oversized_bodies_are_refused_before_any_endpoint(client, tokens, config):
    h = bearer(tokens["admin"])
    big = b"x" * (config.max_body + 1)
    _json_error(client.post("/decode", content=big, headers=h), 413)
    _json_error(client.post("/graphs", content=iter([big[:1000], big[1000:]]), headers=h), 413)  # chunked
    _json_error(client.put("/models/m.npz", content=b"x" * (config.max_upload + 1), headers=h), 413)
    assert '"status":413' in config.audit_log.read_text()


def test_malformed_graphs_are_422_with_the_problem(client, tokens):
    h = bearer(tokens["control"])
    _json_error(
        client.post("/graphs", json={"document": {"nodes": [{"name": "nope", "nickname": "a"}]}}, headers=h),
        422,
        "nope",
    )
    _json_error(client.post("/graphs", json={"document": {"nodes": "x"}}, headers=h), 422)
    _json_error(client.post("/graphs", json={"graph": "no-such-graph"}, headers=h), 404, "default")
    _json_error(client.post("/graphs", json={"graph": "default", "document": {}}, headers=h), 422, "not both")
    _json_error(client.post("/graphs", json={"graph": "default", "duration_s": -1}, headers=h), 422)
    doc = {"nodes": [{"name": "X", "module": "/tmp/evil.py", "nickname": "x"}]}
    _json_error(client.post("/graphs", json={"document": doc}, headers=h), 403, "module")
    _json_error(client.get("/graphs/g99", headers=h), 404, "no graph 'g99'")
    _json_error(client.get("/graphs/../etc", headers=h), 404)


def test_posted_graphs_may_only_name_paths_under_the_data_folder(client, config):
    def doc(path: str) -> dict:
        return {"nodes": [
            {"name": "steady_velocity", "nickname": "v", "outputs": {"out": "vel"}},
            {"name": "recorder", "nickname": "rec", "inputs": {"in": "vel"}, "parameters": {"path": path}},
        ]}

    graphs = client.app.state.graphs
    plan = graphs.plan(None, doc("stores/run1"), None)  # relative: inside the data folder
    assert plan.node("rec").parameters["path"] == str(config.data_dir / "stores/run1")
    assert "encrypt" not in graphs.encrypt_recordings(plan).node("rec").parameters
    config.encrypt = True  # serve --encrypt: what the graph records is encrypted at rest
    assert graphs.encrypt_recordings(plan).node("rec").parameters["encrypt"] is True
    for outside in ("/tmp/elsewhere", "../escape", "~/x", "stores/../../up"):
        with pytest.raises(ApiError) as err:
            graphs.plan(None, doc(outside), None)
        assert err.value.status == 403 and "'rec': path" in err.value.detail, outside


def test_models_upload_list_delete(client, tokens, model_bytes):
    h = bearer(tokens["admin"])
    _json_error(client.put("/models/m.pkl", content=model_bytes, headers=h), 422, "safe formats")
    _json_error(client.put("/models/m.npz", content=b"PK\x03\x04junk", headers=h), 422)
    _json_error(client.put("/models/..npz", content=model_bytes, headers=h), 422)
    assert client.put("/models/m.npz", content=model_bytes, headers=h).status_code == 201
    assert [m["name"] for m in client.get("/models", headers=h).json()] == ["m.npz"]
    assert client.delete("/models/m.npz", headers=h).status_code == 204
    _json_error(client.delete("/models/m.npz", headers=h), 404)


def test_recordings_download_with_ranges(client, tokens, config):
    data = bytes(range(256)) * 40
    (config.recordings_dir / "rec.bin").write_bytes(data)
    h = bearer(tokens["read"])
    assert client.get("/recordings", headers=h).json() == [
        {"name": "rec.bin", "bytes": len(data), "encrypted": False}
    ]
    whole = client.get("/recordings/rec.bin", headers=h)
    assert whole.status_code == 200 and whole.content == data
    part = client.get("/recordings/rec.bin", headers={**h, "Range": "bytes=100-299"})
    assert part.status_code == 206 and part.content == data[100:300]
    assert part.headers["content-range"] == f"bytes 100-299/{len(data)}"
    tail = client.get("/recordings/rec.bin", headers={**h, "Range": "bytes=-10"})
    assert tail.content == data[-10:]
    _json_error(client.get("/recordings/rec.bin", headers={**h, "Range": "bytes=99999-"}), 416)
    _json_error(client.get("/recordings/rec.bin", headers={**h, "Range": "lines=1-2"}), 416)
    _json_error(client.get("/recordings/nope.bin", headers=h), 404)


def test_encryption_at_rest_for_models_and_recordings(tmp_path, tokens, config, model_bytes, monkeypatch):
    from fastapi.testclient import TestClient

    from cortexlink.core import crypto
    from cortexlink.serve import ServeConfig, create_app

    key = crypto.new_key_file(tmp_path / "key")
    secure = ServeConfig(
        tokens=config.tokens, data_dir=tmp_path / "enc", encrypt=True, key_file=tmp_path / "key"
    )
    with TestClient(create_app(secure)) as c:
        h = bearer(tokens["admin"])
        assert c.put("/models/m.npz", content=model_bytes, headers=h).json()["encrypted"] is True
        stored = (secure.models_dir / "m.npz").read_bytes()
        assert crypto.is_encrypted(stored) and crypto.decrypt(stored, key) == model_bytes
        window = np.zeros((N_FEATURES, 15)).tolist()
        assert c.post("/decode", json={"model": "m.npz", "features": window}, headers=h).status_code == 200
        data = b"recording " * 100
        (secure.recordings_dir / "r.bin").write_bytes(crypto.encrypt(data, key))
        part = c.get("/recordings/r.bin", headers={**h, "Range": "bytes=10-29"})
        assert part.status_code == 206 and part.content == data[10:30]
    wrong = ServeConfig(tokens=config.tokens, data_dir=tmp_path / "enc", encrypt=True)
    monkeypatch.setenv(crypto.KEY_ENV, "11" * 32)
    with TestClient(create_app(wrong)) as c:
        _json_error(
            c.post("/decode", json={"model": "m.npz", "features": window}, headers=h), 422, "key is wrong"
        )
