"""progress(): yields every item unchanged, with or without the bar."""

from __future__ import annotations

from cortexlink.core.progress import progress


def test_disabled_passes_items_through(capsys):
    assert list(progress(range(5), enabled=False)) == [0, 1, 2, 3, 4]
    assert capsys.readouterr().err == ""


def test_enabled_yields_the_same_items_and_writes_to_stderr_only(capsys):
    assert list(progress(iter("abc"), total=3, description="work")) == ["a", "b", "c"]
    out, _ = capsys.readouterr()
    assert out == ""


def test_early_exit_closes_cleanly():
    gen = progress(range(100), total=100)
    assert next(gen) == 0
    gen.close()
