"""cortexlink similar: top matches, hash-vs-exact recall, bad input in one line."""

import pytest
from tests.cli.helpers import run


@pytest.fixture(scope="module")
def bonn(data_dir):
    folder = data_dir / "seizure" / "bonn" / "A_Z"
    return folder / "Z001.txt", folder / "Z002.txt"


def test_prints_the_query_found_in_its_own_file(bonn, tmp_path, capsys):
    query, _ = bonn
    png = tmp_path / "m.png"
    code, out, err = run(["similar", query, query, "--start", "2.0", "--length", "0.75", "--k", "3",
                          "--hop", "4", "--exact", "--plot", png], capsys)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line.startswith("Z001.txt")]
    assert len(rows) == 3
    channel, seconds, dist = int(rows[0][1]), float(rows[0][2]), float(rows[0][3])
    assert channel == 0 and abs(seconds - 2.0) < 0.03 and dist < 1.0
    assert "recall" in out and "pruned" in out
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(("extra", "message"), [
    (["--length", "100"], "runs past the end"),
    (["--channel", "3"], "channel 3"),
    (["--measure", "emd", "--candidates", "2"], "fraction"),
    (["--k", "0"], "k must be"),
    (["--band", "0"], "band"),
])
def test_bad_input_is_one_line_exit_2(bonn, capsys, extra, message):
    query, data = bonn
    code, out, err = run(["similar", query, data, "--start", "1", "--length", "1", *extra], capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_file_is_one_line(tmp_path, capsys):
    code, _, err = run(["similar", tmp_path / "nope.txt", tmp_path / "nope.txt"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_measure_choices_are_the_library_measures():
    # the CLI names them itself so that registering the command does not import the package
    from cortexlink.cli.similarity import MEASURE_CHOICES
    from cortexlink.similarity import MEASURES

    assert MEASURE_CHOICES == tuple(MEASURES)
