"""Stores and queries over the API: list, summary, export (then download with a byte range,
encrypted at rest with --encrypt), POST /query as JSON and npz, a syntax error naming its
position, template files refused, and the scopes each needs."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from .helpers import bearer

RATE, N = 1000.0, 1200


@pytest.fixture
def with_stores(config):
    """Two sites of three channels in one recording folder under the server's stores folder."""
    from cortexlink.store import StoreWriter

    data = {}
    for k, site in enumerate(("left", "right")):
        x = (np.random.default_rng(k).normal(0, 50, (3, N))).astype(np.int16)
        w = StoreWriter(config.stores_dir / "run1" / site, 3, RATE, site=site, gain_uv=0.5,
                        chunk_ms=500, hash_window_ms=0, fsync=False, start_unix_ns=0)
        for a in range(0, N, 300):
            w.append(x[:, a : a + 300])
            w.flush()
        w.close()
        data[site] = x
    return data


def test_stores_list_summary_export_and_download(client, tokens, config, with_stores):
    read, ctl = bearer(tokens["read"]), bearer(tokens["control"])
    listed = client.get("/stores", headers=read).json()
    assert [s["name"] for s in listed] == ["run1/left", "run1/right"]
    assert listed[0]["summary"]["channels"] == 3 and "path" not in listed[0]["summary"]
    one = client.get("/stores/run1/right", headers=read)
    assert one.status_code == 200 and one.json()["summary"]["site"] == "right"
    assert client.get("/stores/run1/nope", headers=read).status_code == 404
    assert client.get("/stores/run1/..%2F..%2Fetc", headers=read).status_code in (404, 422)

    assert client.post("/stores/run1/left/export", json={}, headers=read).status_code == 403
    r = client.post("/stores/run1/left/export", json={"format": "npz", "start_s": 0.3}, headers=ctl)
    assert r.status_code == 201, r.text
    name = r.json()["file"]
    whole = client.get(f"/recordings/{name}", headers=read).content
    with np.load(io.BytesIO(whole), allow_pickle=False) as z:
        np.testing.assert_array_equal(z["data"], with_stores["left"][:, 300:])
    part = client.get(f"/recordings/{name}", headers={**read, "Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == whole[10:100]


def test_query_json_npz_errors_and_scopes(client, tokens, config, with_stores):
    read = bearer(tokens["read"])
    text = "from * select data[0:2][-100:0]"
    r = client.post("/query", json={"query": text}, headers=read)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [row["site"] for row in answer["rows"]] == ["left", "right"] and answer["plan"]
    np.testing.assert_array_equal(answer["rows"][1]["values"][0], with_stores["right"][0:2, N - 100 : N])

    r = client.post("/query", json={"query": text, "format": "npz"}, headers=read)
    with np.load(io.BytesIO(r.content), allow_pickle=False) as z:
        assert z["site"].tolist() == ["left", "right"] and z["r0_v0"].shape == (2, 100)

    bad = client.post("/query", json={"query": "from * select data[0][-100:0] where"}, headers=read)
    assert bad.status_code == 422 and "line 1, column" in json.dumps(bad.json()), bad.text
    quoted = 'from * select data[0][t-10:t] where similar(data[0][t-10:t], "/etc/x.npy", 1) > 0.5'
    assert client.post("/query", json={"query": quoted}, headers=read).status_code in (403, 422)
    assert client.post("/query", json={"query": text}).status_code == 401
    audited = [json.loads(line) for line in config.audit_log.read_text().splitlines()]
    queries = [e for e in audited if e["endpoint"] == "/query"]
    assert [e["token"] for e in queries] == ["read-user"] * 4 + ["-"]
    assert len({e["params"] for e in queries}) == 4 and text not in config.audit_log.read_text()
