"""``list_devices``: what cortexlink can acquire from right now, for ``cortexlink devices``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    """One acquisition source: an LSL stream on the network or a BrainFlow board kind."""

    kind: str  # "lsl" or "brainflow"
    name: str
    detail: str


def list_devices(lsl_wait_s: float = 1.0, boards: bool = True) -> list[Device]:
    """LSL streams visible within ``lsl_wait_s``, and (``boards``) the BrainFlow board kinds with
    their rate and EEG channel count (BrainFlow cannot probe for boards without opening them);
    a library that is not installed is listed as such."""
    from cortexlink.core.errors import CortexlinkError

    out: list[Device] = []
    try:
        from cortexlink.io.lsl import list_lsl_streams

        for s in list_lsl_streams(lsl_wait_s):
            out.append(
                Device(
                    "lsl",
                    s.name,
                    f"type {s.type}, {s.n_channels} channels at {s.sample_rate:g} Hz, "
                    f"source_id {s.source_id}, host {s.hostname}",
                )
            )
    except CortexlinkError as exc:
        out.append(Device("lsl", "unavailable", str(exc)))
    if boards:
        try:
            from cortexlink.io.brainflow_board import _brainflow, board_description

            for member in _brainflow().BoardIds:
                if member.value < -1:
                    continue
                try:
                    d = board_description(member.value)
                except CortexlinkError:
                    continue
                if d["eeg_rows"]:
                    out.append(
                        Device(
                            "brainflow",
                            member.name.removesuffix("_BOARD").lower(),
                            f"id {member.value}, {len(d['eeg_rows'])} EEG channels "
                            f"at {d['sample_rate']:g} Hz",
                        )
                    )
        except CortexlinkError as exc:
            out.append(Device("brainflow", "unavailable", str(exc)))
    return out
