"""The futex behind the shm rings' wake-ups, through the compiled syscall and the ctypes fallback."""

from __future__ import annotations

import mmap
import platform
import sys
import threading

import pytest

from cortexlink.graph import futex

pytestmark = pytest.mark.skipif(not futex.FUTEX_AVAILABLE, reason="no futex syscall on this platform")


@pytest.fixture(params=["compiled", "ctypes"])
def word(request, monkeypatch):
    if request.param == "ctypes":
        monkeypatch.setattr(futex, "_SYSCALL", None)
    elif futex._SYSCALL is None:
        pytest.skip("numba could not build the futex syscall here")
    buf = mmap.mmap(-1, 4096)
    fx = futex.Futex(buf, 64)
    yield fx
    fx.release()


def test_the_compiled_syscall_is_used_on_linux_x86_64():
    if sys.platform != "linux" or platform.machine() != "x86_64":
        pytest.skip("checked on linux x86_64 only")
    assert futex._SYSCALL is not None


def test_wait_returns_at_once_when_the_word_already_changed(word):
    seen = word.value
    word.bump()
    done = threading.Event()
    t = threading.Thread(target=lambda: (word.wait(seen, 30.0), done.set()), daemon=True)
    t.start()
    t.join(10)
    assert done.is_set()


def test_wait_times_out_when_nobody_wakes(word):
    done = threading.Event()
    t = threading.Thread(target=lambda: (word.wait(word.value, 0.05), done.set()), daemon=True)
    t.start()
    t.join(10)
    assert done.is_set()


def test_wake_wakes_a_sleeping_waiter(word):
    seen = word.value
    asleep, done = threading.Event(), threading.Event()

    def waiter():
        asleep.set()
        while word.value == seen:  # a wake can come before the sleep; the word tells
            word.wait(seen, 30.0)
        done.set()

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    assert asleep.wait(10)
    word.bump()
    word.wake()
    t.join(10)
    assert done.is_set()


def test_unaligned_words_are_refused():
    with pytest.raises(ValueError, match="aligned"):
        futex.Futex(mmap.mmap(-1, 64), 2)
