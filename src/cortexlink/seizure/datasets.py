"""Loaders for the public seizure data sets kept in ``../shared/data/seizure``.

- ``load_bonn(folder, sets)``: Bonn EEG, one Recording per file; label 1 for set E (seizure).
- ``load_dog_clips(folder)``: Kaggle Dog_1 1 s clips in segment order, with latency and seizure
  number; ``assemble_dog`` joins consecutive clips into continuous seizures and interictal runs.
- ``load_chbmit(paths)``: CHB-MIT EDF files with their seizure intervals (``*-seizure.edf`` files
  run from onset to the end; ``*NonSeizure*`` none; ``chb01_03_Seizure.edf`` from 1 s).
- ``load_ombao(folder)``: the 8-channel Ombao/Wang scalp EEG; seizure in the second half.
- ``eegmmidb_bipolar(path)``: a seizure-free PhysioNet motor-imagery EDF re-montaged to the
  CHB-MIT bipolar chain (T9/T10 standing in for FT9/FT10), negatives for scalp detectors.

Every loader returns ``LabelledRecording``s: a Recording, its seizure intervals (s) and a group
(patient / seizure number) for splits that keep one seizure on one side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidDataError, RecordingNotFoundError
from cortexlink.core.paths import existing_file, existing_folder
from cortexlink.core.recording import Recording

BONN_SETS = {"A": "A_Z", "B": "B_O", "C": "C_N", "D": "D_F", "E": "E_S"}
CHB_BIPOLAR = ["FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "FP2-F4", "F4-C4",
               "C4-P4", "P4-O2", "FP2-F8", "F8-T8", "T8-P8", "P8-O2", "FZ-CZ", "CZ-PZ", "P7-T7", "T7-FT9",
               "FT9-FT10", "FT10-T8", "T8-P8"]
_DOG_CLIP = re.compile(r"(?P<subject>.+)_(?P<kind>ictal|interictal)_segment_(?P<n>\d+)\.mat$")
_MAX_MAT_BYTES = 64 * 1024 * 1024


@dataclass
class LabelledRecording:
    """A recording with its seizure intervals ``[(onset_s, offset_s)]`` and a split group."""

    recording: Recording
    seizures: list[tuple[float, float]] = field(default_factory=list)
    group: str = ""
    name: str = ""

    @property
    def label(self) -> int:
        return int(bool(self.seizures))


def load_bonn(folder: str | Path, sets: str = "ABCDE") -> list[LabelledRecording]:
    """Bonn files of the given sets (letters A-E, folders ``A_Z`` ... ``E_S``), in name order."""
    from cortexlink.io.text import load_text

    root = existing_folder(folder)
    out = []
    for letter in sets:
        if letter not in BONN_SETS:
            raise InvalidDataError(f"Bonn sets are {''.join(BONN_SETS)}, got {letter!r}")
        sub = root / BONN_SETS[letter]
        files = sorted(sub.glob("*.txt")) + sorted(sub.glob("*.TXT"))
        if not files:
            raise RecordingNotFoundError(f"no Bonn text files in {sub}")
        for f in files:
            rec = load_text(f)
            seizures = [(0.0, rec.duration)] if letter == "E" else []
            out.append(LabelledRecording(rec, seizures, group=letter, name=f.stem))
    return out


@dataclass
class DogClips:
    """Kaggle clips in segment order: ``data (n, n_channels, n_samples)``, ``ictal``, ``latency``
    (s since onset; NaN for interictal), ``seizure`` (1, 2, ... for ictal clips, 0 otherwise)."""

    data: np.ndarray
    sample_rate: float
    ictal: np.ndarray
    latency: np.ndarray
    seizure: np.ndarray
    segment: np.ndarray

    def early(self, max_latency_s: float = 15.0) -> np.ndarray:
        """The challenge's early-seizure label: ictal with latency <= ``max_latency_s``."""
        return self.ictal & (np.nan_to_num(self.latency, nan=np.inf) <= max_latency_s)


def _load_mat(path: Path) -> dict:
    from scipy.io import loadmat

    if path.stat().st_size > _MAX_MAT_BYTES:
        raise CorruptDataError(f"{path} is larger than a Kaggle clip can be ({_MAX_MAT_BYTES} bytes)")
    try:
        return loadmat(path)
    except (ValueError, OSError, TypeError, NotImplementedError) as exc:
        raise CorruptDataError(f"{path}: not a readable MAT v5 clip ({exc})") from None


def load_dog_clips(folder: str | Path) -> DogClips:
    """Read every ``*_ictal_segment_N.mat`` and ``*_interictal_segment_N.mat`` clip of a folder:
    ictal clips first, then interictal, each in segment order; a new seizure starts wherever the
    latency goes back down."""
    root = existing_folder(folder)
    found = []
    for f in root.glob("*.mat"):
        m = _DOG_CLIP.match(f.name)
        if m and m["kind"] in ("ictal", "interictal"):
            found.append((m["kind"] != "ictal", int(m["n"]), f))
    if not found:
        raise RecordingNotFoundError(f"no Kaggle ictal/interictal clips (*_ictal_segment_N.mat) in {root}")
    found.sort()
    data, ictal, latency, segment, rate = [], [], [], [], None
    for is_inter, n, f in found:
        m = _load_mat(f)
        if "data" not in m or "freq" not in m:
            raise CorruptDataError(f"{f}: a Kaggle clip holds 'data' and 'freq'")
        x = np.asarray(m["data"], dtype=np.float32)
        fs = float(np.ravel(m["freq"])[0])
        if rate is None:
            rate = fs
        if x.ndim != 2 or (data and x.shape != data[0].shape) or abs(fs - rate) > 1e-6:
            raise CorruptDataError(f"{f}: clip shape {x.shape} at {fs:g} Hz differs from the others")
        data.append(x)
        ictal.append(not is_inter)
        latency.append(np.nan if is_inter else float(np.ravel(m.get("latency", [np.nan]))[0]))
        segment.append(n)
    ictal_a, lat = np.array(ictal), np.array(latency)
    seizure = np.zeros(len(ictal), dtype=int)
    count, prev = 0, np.inf
    for i in np.flatnonzero(ictal_a):
        if not lat[i] > prev:
            count += 1
        seizure[i], prev = count, lat[i]
    return DogClips(np.stack(data), rate, ictal_a, lat, seizure, np.array(segment))


def assemble_dog(clips: DogClips, interictal_runs: int = 3) -> list[LabelledRecording]:
    """Continuous recordings: each seizure's clips joined in order (seizure from its first clip's
    latency), and the interictal clips in ``interictal_runs`` consecutive runs."""
    out = []
    for k in np.unique(clips.seizure[clips.ictal]):
        idx = np.flatnonzero(clips.seizure == k)
        rec = Recording(np.concatenate(list(clips.data[idx]), axis=1), clips.sample_rate, site="dog1")
        start = float(clips.latency[idx[0]])
        out.append(LabelledRecording(rec, [(0.0, rec.duration)], group=f"seizure{k}", name=f"ictal{k}",))
        out[-1].recording.metadata["onset_latency_s"] = start
    inter = np.flatnonzero(~clips.ictal)
    for j, idx in enumerate(np.array_split(inter, interictal_runs)):
        if idx.size:
            rec = Recording(np.concatenate(list(clips.data[idx]), axis=1), clips.sample_rate, site="dog1")
            out.append(LabelledRecording(rec, [], group=f"interictal{j + 1}", name=f"interictal{j + 1}"))
    return out


def load_chbmit(paths: list[str | Path]) -> list[LabelledRecording]:
    """CHB-MIT EDF files; the patient (``chbNN``) is the group."""
    from cortexlink.io.edf import load_edf

    out = []
    for p in paths:
        path = existing_file(p)
        rec = load_edf(path)
        name = path.stem
        if "nonseizure" in name.lower():
            seizures = []
        elif name == "chb01_03_Seizure":
            seizures = [(1.0, rec.duration)]
        elif name.endswith("-seizure"):
            seizures = [(0.0, rec.duration)]
        else:
            raise InvalidDataError(f"{path}: cannot tell where its seizure is from the file name")
        out.append(LabelledRecording(rec, seizures, group=name[:5], name=name))
    return out


def load_ombao(folder: str | Path) -> LabelledRecording:
    """The 8 one-channel text files as one 100 Hz recording; seizure in the second half."""
    from cortexlink.io.text import load_text

    root = existing_folder(folder)
    files = sorted(root.glob("*.txt"))
    if not files:
        raise RecordingNotFoundError(f"no Ombao text files in {root}")
    chans = [load_text(f, sample_rate=100.0).data[0].astype(np.float32) for f in files]
    n = min(c.size for c in chans)
    rec = Recording(np.stack([c[:n] for c in chans]), 100.0, channel_ids=[f.stem for f in files],
                    site="ombao")
    return LabelledRecording(rec, [(rec.duration / 2, rec.duration)], group="ombao", name="ombao")


def eegmmidb_bipolar(path: str | Path) -> LabelledRecording:
    """A PhysioNet EEG motor-imagery EDF (seizure-free) re-montaged to ``CHB_BIPOLAR``."""
    from cortexlink.io.edf import load_edf

    rec = load_edf(path)
    names = [str(n).strip(".").upper() for n in rec.metadata.get("channel_names", [])]
    alias = {"FT9": "T9", "FT10": "T10"}
    rows = []
    for pair in CHB_BIPOLAR:
        a, b = (alias.get(c, c) for c in pair.split("-"))
        if a not in names or b not in names:
            raise InvalidDataError(f"{path}: lacks electrode {a if a not in names else b} for {pair}")
        rows.append(rec.data[names.index(a)].astype(np.float32) - rec.data[names.index(b)])
    out = Recording(np.stack(rows), rec.sample_rate, gain_uv=rec.gain_uv, channel_ids=list(CHB_BIPOLAR),
                    site="eegmmidb")
    return LabelledRecording(out, [], group="eegmmidb", name=Path(path).stem)
