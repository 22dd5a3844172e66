"""``cortexlink store info|ls|export`` and ``cortexlink query`` from the command line; the built-in
record-sites graph plans (a scene source and a recorder per site)."""

from __future__ import annotations

import numpy as np

from cortexlink.cli import main
from cortexlink.io import open_recording
from cortexlink.store import StoreWriter


def _stores(root):
    rng = np.random.default_rng(0)
    for k in range(2):
        w = StoreWriter(root / f"s{k}", 3, 1000.0, site=f"s{k}", chunk_ms=200, start_unix_ns=0, fsync=False)
        w.append((rng.normal(0, 50, (3, 700))).astype(np.int16))
        w.close()
    return root


def test_store_ls_info_and_export(tmp_path, capsys):
    root = _stores(tmp_path / "stores")
    assert main(["store", "ls", str(root)]) == 0
    out = capsys.readouterr().out
    assert "s0" in out and "s1" in out and "0.70" in out
    assert main(["store", "info", str(root / "s1")]) == 0
    assert "sealed_chunks   3" in capsys.readouterr().out
    for fmt in ("npz", "nwb"):
        target = tmp_path / f"s0.{fmt}"
        assert main(["store", "export", str(root / "s0"), f"--{fmt}", "--out", str(target)]) == 0
        rec = open_recording(target)
        assert rec.data.shape == (3, 700) and rec.sample_rate == 1000.0


def test_query_prints_a_table_writes_npz_and_plots(tmp_path, capsys):
    root = _stores(tmp_path / "stores")
    text = "from * select data[:][t-50:t] where amplitude(data[0][t-50:t]) > 60 and t >= -600"
    assert main(["query", text, "--store", str(root), "--explain"]) == 0
    assert "where, in the order run" in capsys.readouterr().out
    out_npz, png = tmp_path / "w.npz", tmp_path / "w.png"
    assert main(["query", text, "--store", str(root), "--out", str(out_npz), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "window(s)" in out and "s0" in out and out_npz.exists() and png.stat().st_size > 1000


def test_bad_queries_are_one_line_and_exit_2(tmp_path, capsys):
    root = _stores(tmp_path / "stores")
    bad = "from * select data[:][t-9:t] where wobble(data[:][t-9:t])"
    assert main(["query", bad, "--store", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 1, column 36" in err and "wobble" in err
    assert main(["query", "from nowhere select data[:][-1:0]", "--store", str(root)]) == 2
    assert main(["store", "info", str(tmp_path)]) == 2


def test_record_sites_graph_has_a_recorder_per_site():
    from cortexlink.nodes.run import plan_for_run

    plan, _ = plan_for_run("record-sites")
    kinds = [n.kind for n in plan.nodes] if hasattr(plan, "nodes") else []
    assert kinds.count("recorder") == 11 and kinds.count("scene_source") == 1
