"""Path checks and the one-line error of a refused write."""

from __future__ import annotations

import errno

import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.core.paths import writing


def test_writing_turns_a_refused_write_into_one_line(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(CortexlinkError, match=r"cannot write .*out\.bin: No space left on device; check"):
        with writing(target):
            raise OSError(errno.ENOSPC, "No space left\non device")
    with writing(target) as path:  # nothing refused: nothing raised, the path handed back
        path.write_bytes(b"ok")
    assert target.read_bytes() == b"ok"


def test_writing_lets_other_errors_through(tmp_path):
    with pytest.raises(ValueError), writing(tmp_path / "x"):
        raise ValueError("not a write failure")
