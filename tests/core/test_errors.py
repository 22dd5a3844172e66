"""The error vocabulary: one base class, built-in bases where callers expect them."""

from __future__ import annotations

import pytest

import cortexlink.core.errors as core_errors
import cortexlink.errors as public_errors
from cortexlink import CortexlinkError


@pytest.mark.parametrize("name", core_errors.__all__)
def test_every_error_is_a_cortexlink_error_and_exported(name):
    cls = getattr(core_errors, name)
    assert issubclass(cls, CortexlinkError)
    assert getattr(public_errors, name) is cls


def test_builtin_bases_for_callers_that_catch_them():
    assert issubclass(core_errors.InvalidDataError, ValueError)
    assert issubclass(core_errors.InvalidParameterError, ValueError)
    assert issubclass(core_errors.RecordingNotFoundError, FileNotFoundError)


def test_subclasses_are_distinct():
    classes = [getattr(core_errors, n) for n in core_errors.__all__ if n != "CortexlinkError"]
    for cls in classes:
        others = [o for o in classes if o is not cls]
        assert not any(issubclass(cls, o) for o in others), cls
