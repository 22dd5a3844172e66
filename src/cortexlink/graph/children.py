"""Waiting on node processes, for the supervisor and the agent alike: their pipes and their exits."""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any, TypeVar

K = TypeVar("K")


def wait_children(conns: dict[Any, K], sentinels: dict[Any, K], timeout: float,
                  on_message: Callable[[K], None], on_exit: Callable[[K], None]) -> None:
    """Wait up to ``timeout`` s for a child's pipe (``conns``: connection -> key) or exit
    (``sentinels``: process sentinel -> key); pipes are drained first, so what a child said
    before it died is handled before its death."""
    ready = wait(list(conns) + list(sentinels), timeout)
    for obj in ready:
        if obj in conns:
            on_message(conns[obj])
    for obj in ready:
        if obj in sentinels:
            on_exit(sentinels[obj])
