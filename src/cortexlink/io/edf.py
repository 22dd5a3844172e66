"""EDF/EDF+ and BDF files, read through MNE (cortexlink does not write them).

Samples come out as float32 microvolts; channel names, annotations and the recording date go
into ``metadata``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.errors import CorruptDataError
from cortexlink.core.optional import require
from cortexlink.core.paths import existing_file, one_line
from cortexlink.core.recording import Recording

BDF_MAGIC = b"\xffBIOSEMI"


def load_edf(path: str | Path) -> Recording:
    """Read an EDF(+) or BDF file (told apart by their first bytes) with MNE."""
    p = existing_file(path)
    with open(p, "rb") as fh:
        is_bdf = fh.read(len(BDF_MAGIC)) == BDF_MAGIC
    check_edf_size(p, bytes_per_sample=3 if is_bdf else 2)
    mne = require("mne", "edf", "reading EDF/BDF")
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


def check_edf_size(path: Path, bytes_per_sample: int) -> None:
    """Check the file holds all the data records its header declares (MNE would read a cut file)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fixed = fh.read(256)
        try:
            header_bytes, n_records, n_signals = int(fixed[184:192]), int(fixed[236:244]), int(fixed[252:256])
        except ValueError:
            raise CorruptDataError(f"{path}: the EDF header's sizes are not numbers; the file is damaged") \
                from None
        if n_signals <= 0 or header_bytes != 256 * (n_signals + 1) or header_bytes > size:
            raise CorruptDataError(
                f"{path}: EDF header declares {n_signals} signals in {header_bytes} header bytes, which "
                f"does not fit a {size}-byte file; the file is damaged"
            )
        fh.seek(256 + 216 * n_signals)
        fields = fh.read(8 * n_signals)
    try:
        per_record = sum(int(fields[i:i + 8]) for i in range(0, len(fields), 8))
    except ValueError:
        raise CorruptDataError(f"{path}: the EDF samples-per-record fields are not numbers") from None
    record_bytes = per_record * bytes_per_sample
    data_bytes = size - header_bytes
    if n_records >= 0:  # bytes after the last record are tolerated, missing ones are not
        damaged = record_bytes <= 0 or data_bytes < n_records * record_bytes
    else:  # -1: still being recorded, so the size must be whole records
        damaged = record_bytes <= 0 or data_bytes % record_bytes != 0
    if damaged:
        raise CorruptDataError(
            f"{path}: header declares {n_records} records of {record_bytes} bytes but {data_bytes} bytes of "
            "data follow; the file is truncated or damaged"
        )
