"""Event annotations as a marker row: what a replayed EDF+ file carries beside its signal so that
online consumers see the cues (as a trigger channel or BrainFlow's marker row does)."""

from __future__ import annotations

import numpy as np

from cortexlink.core.recording import Recording


def event_codes(recording: Recording) -> dict[str, int]:
    """Code of each annotation description: 1, 2, ... in sorted order (0 is "no event")."""
    notes = recording.metadata.get("annotations") or []
    return {d: i + 1 for i, d in enumerate(sorted({str(a["description"]) for a in notes}))}


def marker_row(recording: Recording) -> np.ndarray:
    """``(n_samples,)`` float32: the event code at each annotation's onset sample, 0 elsewhere."""
    row = np.zeros(recording.n_samples, np.float32)
    codes = event_codes(recording)
    for a in recording.metadata.get("annotations") or []:
        i = int(np.round(float(a["onset"]) * recording.sample_rate))
        if 0 <= i < row.size:
            row[i] = codes[str(a["description"])]
    return row
