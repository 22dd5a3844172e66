import json

from cortexlink.cli import main


def test_plan_prints_schedule(capsys):
    assert main(["fabric", "plan", "--implants", "3", "--weights", "1:1:1"]) == 0
    out = capsys.readouterr().out
    assert "TDMA slot" in out and "detect" in out and "power_mW" in out


def test_plan_json_and_sweep(capsys, tmp_path):
    assert main(["fabric", "plan", "--app", "movement", "--implants", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["channels"]["movement"] > 0 and len(data["per_implant"]) == 2
    png = tmp_path / "sweep.png"
    assert (
        main(
            [
                "fabric",
                "sweep",
                "--app",
                "sorting",
                "--max-implants",
                "3",
                "--arch",
                "hull",
                "--arch",
                "hull-nohash",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    assert png.stat().st_size > 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 7


def test_bad_input_is_one_line_exit_2(capsys):
    assert main(["fabric", "plan", "--app", "nope"]) == 2
    assert main(["fabric", "plan", "--weights", "1:1"]) == 2
    assert main(["fabric", "plan", "--implants", "2", "--power-mw", "4", "--require", "detect=150"]) == 2
    err = capsys.readouterr().err
    assert "the power constraint binds" in err
    assert "unknown application" in err and "weights" in err and "Traceback" not in err


def test_graph_place_writes_placed_graph(tmp_path, capsys):
    import yaml

    from cortexlink.nodes import DEFAULT_GRAPH

    machines = tmp_path / "m.yaml"
    machines.write_text("machines:\n  - {name: a, cores: 2}\n  - {name: b, cores: 2}\n")
    costs = tmp_path / "c.json"
    costs.write_text(json.dumps({"monkey": 150, "frontend": 600, "decoder": 300, "safety": 20, "task": 50,
                                 "e2e": 10}))
    out = tmp_path / "placed.yaml"
    assert (
        main(
            [
                "graph",
                "place",
                str(DEFAULT_GRAPH),
                "--machines",
                str(machines),
                "--costs",
                str(costs),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "planned critical-path latency" in capsys.readouterr().out
    nodes = yaml.safe_load(out.read_text())["nodes"]
    assert all(n["machine"] in ("a", "b") and len(n["cpu_affinity"]) == 1 for n in nodes)
    machines.write_text("machines: [{name: a, cores: 0}]\n")
    assert (
        main(["graph", "place", str(DEFAULT_GRAPH), "--machines", str(machines), "--costs", str(costs)]) == 2
    )


def test_graph_place_by_name_writes_into_the_current_folder(tmp_path, monkeypatch, capsys):
    from cortexlink.nodes import DEFAULT_GRAPH

    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("machines:\n  - {name: a, cores: 2}\n")
    costs = {"monkey": 150, "frontend": 600, "decoder": 300, "safety": 20, "task": 50, "e2e": 10}
    (tmp_path / "c.json").write_text(json.dumps(costs))
    shipped = set(DEFAULT_GRAPH.parent.iterdir())
    assert main(["graph", "place", "default", "--machines", "m.yaml", "--costs", "c.json"]) == 0
    assert (tmp_path / "default.placed.yaml").is_file()
    assert set(DEFAULT_GRAPH.parent.iterdir()) == shipped
    assert main(["graph", "validate", "seizure"]) == 0
    assert "is a valid graph" in capsys.readouterr().out
