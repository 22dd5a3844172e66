"""EDF/EDF+ and BDF files, read through MNE (cortexlink does not write them).

Samples come out as float32 microvolts; channel names, annotations and the recording date go
into ``metadata``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.errors import CorruptDataError, UnsupportedFormatError
from cortexlink.core.recording import Recording
from cortexlink.io._paths import existing_file, one_line

BDF_MAGIC = b"\xffBIOSEMI"


def load_edf(path: str | Path) -> Recording:
    """Read an EDF(+) or BDF file (told apart by their first bytes) with MNE."""
    p = existing_file(path)
    with open(p, "rb") as fh:
        is_bdf = fh.read(len(BDF_MAGIC)) == BDF_MAGIC
    try:
        import mne
    except ImportError:
        raise UnsupportedFormatError("reading EDF needs MNE: pip install mne") from None
    reader = mne.io.read_raw_bdf if is_bdf else mne.io.read_raw_edf
    try:
        raw = reader(p, preload=True, verbose="error")
    except (ValueError, OSError, RuntimeError, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{p} is not a readable EDF/BDF file ({one_line(exc)})") from None
    volts = raw.get_data()
    data = (volts * 1e6).astype(np.float32)
    annotations = [
        {"onset": float(a["onset"]), "duration": float(a["duration"]), "description": str(a["description"])}
        for a in raw.annotations
    ]
    metadata = {
        "format": "bdf" if is_bdf else "edf",
        "channel_names": list(raw.ch_names),
        "annotations": annotations,
        "meas_date": None if raw.info["meas_date"] is None else raw.info["meas_date"].isoformat(),
    }
    return Recording(data, float(raw.info["sfreq"]), metadata=metadata)
