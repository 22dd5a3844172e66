"""Query results equal a brute-force evaluation on small stores; similar's hash path (stored or
computed) equals its definition; local and Dask execution agree; bad input is a clear error."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import CorruptDataError, CortexlinkError, InvalidParameterError
from cortexlink.query import QuerySyntaxError, explain, query
from cortexlink.query import functions as qf
from cortexlink.similarity import distances, make_hash

from .conftest import RATE, SITES, N

GAIN = 0.5


def _value(name, x, arg):
    """Independent per-window definitions of the statistics (x: one channel's window, counts)."""
    u = x.astype(np.float64) * GAIN
    if name == "amplitude":
        return np.max(np.abs(u - u.mean()))
    if name == "line_length":
        return np.mean(np.abs(np.diff(u)))
    thr = arg
    below = u < thr
    return np.sum(below[1:] & ~below[:-1]) / (len(u) / RATE)


def _brute(data, sites, sel, fn, wch, win, arg, op, x, lo, hi, step, negate):
    """Rows (site, t, matched channels, selected data) by the query semantics, evaluated directly."""
    rows = []
    a, b = sel[1]
    c, d = win
    for site in sites:
        z = data[site]
        for s in range(0, N + 1, step):
            t = s - N
            if not (lo <= t <= hi) or s + min(a, c) < 0 or s + max(b, d) > N:
                continue
            matched = []
            for ch in range(4):
                ok = False
                if ch in wch:
                    v = _value(fn, z[ch, s + c : s + d], arg)
                    ok = v > x if op == ">" else v <= x
                matched.append(ok != negate)
            if any(matched):
                rows.append(
                    (site, float(t), [i for i, m in enumerate(matched) if m], z[sel[0], s + a : s + b])
                )
    return sorted(rows, key=lambda r: (r[1], SITES.index(r[0])))


@settings(max_examples=14, deadline=None)
@given(
    sites=st.sets(st.sampled_from(SITES), min_size=1),
    sel_ch=st.sets(st.integers(0, 3), min_size=1),
    a=st.integers(-150, 50),
    alen=st.integers(1, 150),
    fn=st.sampled_from(["amplitude", "line_length", "rate"]),
    wch=st.sets(st.integers(0, 3), min_size=1),
    c=st.integers(-120, 20),
    clen=st.integers(2, 120),
    q=st.floats(0.05, 0.95),
    op=st.sampled_from([">", "<="]),
    lo=st.integers(-2900, -1),
    span=st.integers(0, 2900),
    step=st.integers(7, 300),
    negate=st.booleans(),
)
def test_results_equal_a_brute_force_evaluation(
    stores, sites, sel_ch, a, alen, fn, wch, c, clen, q, op, lo, span, step, negate
):
    root, data = stores
    sel_ch, wch = sorted(sel_ch), sorted(wch)
    arg = -30.0 if fn == "rate" else None
    # a threshold between two values the statistic takes, so rounding cannot flip a comparison
    z = data[SITES[0]]
    vals = sorted({_value(fn, z[ch, s : s + clen], arg) for ch in range(4) for s in range(200, 2500, 97)})
    i = min(len(vals) - 2, int(q * len(vals)))
    x = float((vals[i] + vals[i + 1]) / 2 if len(vals) > 1 else vals[0] + 1)
    hi = min(0, lo + span)
    call = f"{fn}(data[{','.join(map(str, wch))}][t{c:+d}:t{c + clen:+d}]{', -30' if arg else ''})"
    cond = f"{call} {op} {x!r}"
    text = (
        f"from {', '.join(sorted(sites))} select data[{','.join(map(str, sel_ch))}][t{a:+d}:t{a + alen:+d}] "
        f"where {'not ' if negate else ''}{cond if not negate else '(' + cond + ')'} and t >= {lo} "
        f"and t <= {hi} step {step}"
    )
    text = text.replace("t+0:", "t:").replace(":t+0]", ":t]")
    if N + lo < -min(a, c, 0) and lo < 0:
        with pytest.raises(InvalidParameterError, match="retention"):
            query(text, root)
        return
    got = query(text, root)
    want = _brute(
        data, sites, (sel_ch, (a, a + alen)), fn, wch, (c, c + clen), arg, op, x, lo, hi, step, negate
    )
    assert [(r.site, r.t_ms, r.channels.tolist()) for r in got.rows] == [w[:3] for w in want]
    for r, w in zip(got.rows, want, strict=True):
        np.testing.assert_array_equal(r.values[0], w[3])


def _similar_brute(data, length, template, thr, exact, step):
    fam = make_hash("dtw", length, kind="sketch", n_tables=8)
    tcode = fam.hash(template[None, :])[0]
    rows = []
    for site in SITES:
        z = data[site]
        for s in range(-(-length // step) * step, N + 1, step):
            w = z[:, s - length : s]
            d = distances(template, w.astype(np.float64) * GAIN, "dtw")
            ok = d <= thr
            if not exact:
                ok &= (fam.hash(w.astype(np.float64)) == tcode).any(axis=1)
            if ok.any():
                rows.append((site, float(s - N), np.flatnonzero(ok).tolist()))
    return sorted(rows, key=lambda r: (r[1], SITES.index(r[0])))


@pytest.mark.parametrize("length, step, exact", [(20, 20, False), (30, 15, False), (20, 40, True)])
def test_similar_equals_hash_then_exact_by_definition(stores, length, step, exact):
    """length 20 on a 20-sample grid uses the stores' hash streams; 30 hashes on read."""
    root, data = stores
    template = data["beta"][1, 1500 - length : 1500].astype(np.float64) * GAIN
    dist = distances(
        template,
        np.lib.stride_tricks.sliding_window_view(data["beta"][1].astype(np.float64) * GAIN, length)[::7],
        "dtw",
    )
    thr = float(np.quantile(dist, 0.2))
    text = (
        f"from * select data[1][t-{length}:t] where similar(data[:][t-{length}:t], tmpl, dtw, {thr!r}"
        f"{', exact' if exact else ''}) step {step}"
    )
    got = query(text, root, params={"tmpl": template})
    want = _similar_brute(data, length, template, thr, exact, step)
    assert [(r.site, r.t_ms, r.channels.tolist()) for r in got.rows] == want
    assert any(r[0] == "beta" and r[1] == 1500 - N for r in want) or step != 20


def test_seizure_detect_runs_after_cheaper_tests_and_only_where_they_held(stores, monkeypatch):
    root, data = stores
    seen = []

    def fake(x, rate, gain_uv=1.0):
        seen.append(x.shape)
        return (np.abs(x * gain_uv).max(axis=1) > 150).astype(np.float64)

    monkeypatch.setattr(qf, "seizure_scorer", lambda: fake)
    from cortexlink.query.execute import clear_cache

    clear_cache()
    text = (
        "from * select data[:][t-50:t] where seizure_detect(data[:][t-100:t]) and "
        "amplitude(data[:][t-100:t]) > 100 and t >= -2000"
    )
    got = query(text, root)
    assert "1. t >= -2000" in got.plan_text and "3. seizure_detect" in got.plan_text
    grid = range(N - 2000 + (-(N - 2000)) % 100, N - 0 + 1, 100)
    want = []
    for site in SITES:
        for s in grid:
            w = data[site][:, s - 100 : s].astype(np.float64) * GAIN
            amp = np.abs(w - w.mean(axis=1, keepdims=True)).max(axis=1) > 100
            hit = amp & (np.abs(w).max(axis=1) > 150)
            if hit.any():
                want.append((site, float(s - N), np.flatnonzero(hit).tolist()))
    want.sort(key=lambda r: (r[1], SITES.index(r[0])))
    assert [(r.site, r.t_ms, r.channels.tolist()) for r in got.rows] == want
    assert 0 < len(seen) < 3 * len(grid)  # scored only where amplitude held
    n_calls = len(seen)
    query(text, root)  # the same windows again: cached
    assert len(seen) == n_calls


def test_fixed_ranges_hashes_events_limit_and_npz(stores, tmp_path):
    root, data = stores
    got = query("from gamma, al* select data[2,0:2][-100:0], hashes[1][-100:0], events[:][-100:0]", root)
    assert [r.site for r in got.rows] == ["gamma", "alpha"]
    np.testing.assert_array_equal(got.rows[0].values[0], data["gamma"][[2, 0, 1], N - 100 : N])
    assert got.rows[0].values[1].shape == (1, 4, 8) and got.rows[0].values[2] == []
    lim = query("from * select data[0][t-10:t] where t >= -1000 step 10 limit 4", root)
    assert [(r.t_ms, r.site) for r in lim.rows] == [(-1000.0, s) for s in SITES] + [(-990.0, "alpha")]
    path = lim.to_npz(tmp_path / "w.npz")
    with np.load(path, allow_pickle=False) as z:
        assert z["site"].tolist() == [r.site for r in lim.rows] and z["r3_v0"].shape == (1, 10)
        assert json.loads(str(z["sites_json"]))["alpha"]["gain_uv"] == GAIN


def test_matched_selects_the_channels_where_the_test_held(stores):
    root, data = stores
    text = "from beta select data[matched][t-30:t] where amplitude(data[:][t-30:t]) > 60 and t >= -2500"
    got = query(text, root)
    assert got.rows and any(len(r.channels) < 4 for r in got.rows)
    for r in got.rows:
        s = r.sample
        np.testing.assert_array_equal(r.values[0], data["beta"][r.channels, s - 30:s])


def test_bad_input_is_a_clear_error_never_a_wrong_answer(stores, tmp_path):
    root, data = stores
    with pytest.raises(QuerySyntaxError, match="no store is site 'delta'") as err:
        query("from alpha, delta select data[:][-10:0]", root)
    assert err.value.column == 13
    with pytest.raises(QuerySyntaxError, match="unknown function"):
        query("from * select data[:][t-10:t] where spikiness(data[:][t-10:t]) > 1", root)
    with pytest.raises(QuerySyntaxError, match="before its retention"):
        query("from * select data[:][-5000:0]", root)
    with pytest.raises(QuerySyntaxError, match="channel 9 does not exist"):
        query("from * select data[9][-10:0]", root)
    with pytest.raises(InvalidParameterError, match="template 'tmpl' is not given"):
        query("from * select data[0][t-20:t] where similar(data[0][t-20:t], tmpl, dtw, 1) step 20", root)
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(root / "beta", bad / "beta")
    chunk = bad / "beta" / "signal" / "0.5"
    chunk.write_bytes(b"\x00" * 10)
    with pytest.raises(CorruptDataError, match="0.5"):
        query("from * select data[:][-1000:0]", bad)
    with pytest.raises(CortexlinkError, match="no store folder"):
        query("from * select data[:][-1:0]", tmp_path / "nowhere")


def test_explain_names_the_pushed_down_reads(stores):
    root, _ = stores
    text = explain(
        "from beta select data[:][t-20:t] where amplitude(data[1,2][t-20:t]) > 5 and t >= -1000", root
    )
    assert "beta: where reads channels 1-2, samples [2120, 3120)" in text
    assert "every 20 ms" in text and "1. t >= -1000" in text


def test_local_and_dask_execution_agree(stores):
    distributed = pytest.importorskip("distributed")
    root, _ = stores
    text = "from * select data[0,3][t-40:t+10] where line_length(data[:][t-40:t]) > 11 and t >= -2500 step 30"
    local = query(text, root)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = query(text, root, dask=client)
    assert len(local) > 0 and len(local) == len(remote)
    for a, b in zip(local.rows, remote.rows, strict=True):
        assert (a.site, a.t_ms, a.channels.tolist()) == (b.site, b.t_ms, b.channels.tolist())
        np.testing.assert_array_equal(a.values[0], b.values[0])
