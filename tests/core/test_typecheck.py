"""Values from YAML/JSON against annotations: no silent conversion except int -> float."""

from __future__ import annotations

from typing import Literal

from cortexlink.core.typecheck import coerce, describe_type, matches


def test_matches_and_coerce():
    assert matches(3, float) and coerce(3, float) == 3.0 and isinstance(coerce(3, float), float)
    assert not matches(True, int) and not matches(2.5, int) and not matches("1", int)
    assert matches(None, int | None) and matches("auto", float | str) and not matches([1], float | str)
    assert matches("a", Literal["a", "b"]) and not matches("c", Literal["a", "b"])
    assert coerce([1, 2], tuple[float, ...]) == (1.0, 2.0)


def test_describe_type():
    assert describe_type(int | None) == "an int or null"
    assert describe_type(list[float]) == "a list of float"
