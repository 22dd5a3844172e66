"""Text recordings: the three layouts, the Bonn rate rule, and malformed text."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.io.text import BONN_RATE, load_text, tokens_per_line


def _write(tmp_path, text: str, name: str = "x.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bonn_layout_gets_its_rate(tmp_path):
    values = np.random.default_rng(0).integers(-2000, 2000, 4097)
    rec = load_text(_write(tmp_path, "\r\n".join(map(str, values)) + "\r\n", "Z042.txt"))
    assert rec.sample_rate == BONN_RATE == 173.61
    assert rec.data.dtype == np.int16 and rec.data[0].tolist() == values.tolist()
    assert rec.metadata["channel_names"] == ["Z042"] and "Bonn" in rec.metadata["sample_rate_source"]


def test_a_single_column_of_other_length_needs_a_rate(tmp_path):
    path = _write(tmp_path, "1\n2\n3\n")
    with pytest.raises(InvalidParameterError, match="no sample rate.*--sample-rate"):
        load_text(path)
    assert load_text(path, sample_rate=10).data.tolist() == [[1, 2, 3]]


def test_bonn_length_of_floats_is_not_guessed(tmp_path):
    with pytest.raises(InvalidParameterError, match="not the Bonn layout"):
        load_text(_write(tmp_path, "0.5\n" * 4097))


def test_columns_are_channels(tmp_path):
    rec = load_text(_write(tmp_path, "1.5 2\n3 4.25\n5 6\n"), sample_rate=100)
    assert rec.metadata["layout"] == "columns"
    assert rec.data.dtype == np.float32 and rec.data.tolist() == [[1.5, 3, 5], [2, 4.25, 6]]


def test_wrapped_values_are_one_channel_in_reading_order(tmp_path):
    rec = load_text(_write(tmp_path, " 1 2 3\n4 5 6\n\n7 8\n", "c3.txt"), sample_rate=100, gain_uv=0.5)
    assert rec.metadata["layout"] == "wrapped" and rec.metadata["channel_names"] == ["c3"]
    assert rec.data.tolist() == [[1, 2, 3, 4, 5, 6, 7, 8]] and rec.gain_uv == 0.5


def test_large_integers_become_float(tmp_path):
    assert load_text(_write(tmp_path, "1\n70000\n"), sample_rate=1).data.dtype == np.float32


@pytest.mark.parametrize("text, error, message", [
    ("", CorruptDataError, "holds no numbers"),
    ("  \n\n", CorruptDataError, "holds no numbers"),
    ("1 2\n3\n4 5\n", CorruptDataError, "line 2 holds 1 numbers"),
    ("1 2\n3 4 5\n", CorruptDataError, "line 2 holds 3"),
    ("1\nabc\n", CorruptDataError, "whitespace-separated numbers"),
    ("1\nnan\n", InvalidDataError, "NaN"),
])
def test_malformed_text(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        load_text(_write(tmp_path, text), sample_rate=10)


def test_tokens_per_line_counts_non_empty_lines():
    assert tokens_per_line(b"1 2 3\n\n 4\t5 6 \r\n7").tolist() == [3, 3, 1]
    assert tokens_per_line(b"").tolist() == []
