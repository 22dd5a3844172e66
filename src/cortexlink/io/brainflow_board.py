"""BrainFlow boards (OpenBCI Cyton/Ganglion, and the many amplifiers BrainFlow drives; its
synthetic board needs no hardware), read as ``(n_eeg_channels, n)`` float32 microvolts (the
``eeg`` extra).

BrainFlow 5.x loads its library through ``pkg_resources`` on Python 3.11, which setuptools 81 and
later no longer ship; ``_brainflow()`` supplies the one function it calls when it is missing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from typing import Any

import numpy as np

from cortexlink.core.errors import DeviceError, InvalidParameterError
from cortexlink.core.optional import require

COUNTER_MODULO = 256  # BrainFlow's package counter wraps here on most boards


def _brainflow() -> Any:
    """``brainflow.board_shim``, importable without ``pkg_resources``."""
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")

        def resource_filename(package: str, path: str) -> str:
            return os.path.join(os.path.dirname(importlib.util.find_spec(package).origin), path)

        shim.resource_filename = resource_filename  # type: ignore[attr-defined]
        sys.modules.setdefault("pkg_resources", shim)
    shim = require("brainflow.board_shim", "eeg", "reading a BrainFlow board")
    shim.BoardShim.disable_board_logger()  # its log goes to stderr, line by line
    return shim


def board_id(board: str | int) -> int:
    """BrainFlow's id of ``board``: a number, or a name such as ``synthetic``, ``cyton``, ``ganglion``."""
    shim = _brainflow()
    if isinstance(board, int) or str(board).lstrip("-").isdigit():
        return int(board)
    key = str(board).upper().replace("-", "_")
    for cand in (key, f"{key}_BOARD"):
        if cand in shim.BoardIds.__members__:
            return int(shim.BoardIds[cand].value)
    names = sorted(n.removesuffix("_BOARD").lower() for n in shim.BoardIds.__members__)
    raise InvalidParameterError(f"unknown BrainFlow board {board!r}; known: {', '.join(names)}")


def board_description(board: str | int) -> dict[str, Any]:
    """Rate, EEG channel names and counter row of a board, known without connecting."""
    shim = _brainflow()
    bid = board_id(board)
    try:
        rate = float(shim.BoardShim.get_sampling_rate(bid))
        eeg = list(shim.BoardShim.get_eeg_channels(bid))
        counter = int(shim.BoardShim.get_package_num_channel(bid))
        try:
            names = list(shim.BoardShim.get_eeg_names(bid))
        except shim.BrainFlowError:
            names = [f"EEG{i + 1}" for i in range(len(eeg))]
    except shim.BrainFlowError as exc:
        raise DeviceError(f"BrainFlow has no EEG description of board {board!r} ({exc})") from None
    return {
        "board_id": bid,
        "sample_rate": rate,
        "eeg_rows": eeg,
        "counter_row": counter,
        "channel_names": names,
    }


def count_gaps(counter: np.ndarray, modulo: int = COUNTER_MODULO, previous: int | None = None) -> int:
    """Samples missing from a package counter that steps by one (mod ``modulo``)."""
    c = np.asarray(counter, np.int64)
    if previous is not None:
        c = np.concatenate([[previous], c])
    if c.size < 2:
        return 0
    step = np.mod(np.diff(c), modulo)
    return int(np.sum(np.where(step == 0, modulo, step) - 1))


class BrainFlowBoard:
    """A streaming session on one board: ``start()``, ``read()`` what arrived, ``stop()``."""

    def __init__(
        self,
        board: str | int = "synthetic",
        serial_port: str = "",
        ip_address: str = "",
        ip_port: int = 0,
        mac_address: str = "",
        serial_number: str = "",
    ) -> None:
        self.shim = _brainflow()
        self.description = board_description(board)
        self.board = board
        params = self.shim.BrainFlowInputParams()
        params.serial_port, params.ip_address, params.ip_port = serial_port, ip_address, int(ip_port)
        params.mac_address, params.serial_number = mac_address, serial_number
        self.session = self.shim.BoardShim(self.description["board_id"], params)
        self.last_counter: int | None = None
        self.gaps = 0

    @property
    def sample_rate(self) -> float:
        return self.description["sample_rate"]

    @property
    def n_channels(self) -> int:
        return len(self.description["eeg_rows"])

    def start(self) -> None:
        try:
            self.session.prepare_session()
            self.session.start_stream()
        except self.shim.BrainFlowError as exc:
            raise DeviceError(
                f"cannot open BrainFlow board {self.board!r} ({exc}); check that it is switched "
                "on and the port or address is right ('cortexlink devices' lists what is seen)"
            ) from None

    def read(self) -> np.ndarray:
        """EEG samples that arrived since the last read ``(n_channels, n)`` float32 microvolts;
        ``gaps`` counts samples the package counter says were lost."""
        data = self.session.get_board_data()
        if data.shape[1]:
            counter = data[self.description["counter_row"]]
            self.gaps += count_gaps(counter, previous=self.last_counter)
            self.last_counter = int(counter[-1])
        return np.ascontiguousarray(data[self.description["eeg_rows"]], dtype=np.float32)

    def stop(self) -> None:
        """Stop streaming and release the board (safe to call twice)."""
        session, self.session = getattr(self, "session", None), None
        if session is None:
            return
        try:
            if session.is_prepared():
                session.stop_stream()
                session.release_session()
        except self.shim.BrainFlowError:
            pass
        del session  # BrainFlow's destructor, now rather than at interpreter exit
