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
    err = capsys.readouterr().err
    assert "unknown application" in err and "weights" in err and "Traceback" not in err
