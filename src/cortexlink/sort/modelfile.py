"""Save and load a ``SorterModel`` (what an online sorter needs) as NPZ, with no pickled objects."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from cortexlink.core.errors import CortexlinkError, ModelFileError
from cortexlink.core.paths import existing_file, one_line, writable_target, writing
from cortexlink.io.npz import _read_member
from cortexlink.sort.offline import SorterModel
from cortexlink.sort.params import SortParams
from cortexlink.sort.peeler import Templates
from cortexlink.sort.preprocess import Whitener
from cortexlink.sort.probe import Probe

FORMAT = "cortexlink-sorter-model"
_KEYS = ("format", "params", "sample_rate", "positions", "whitener", "waveforms", "channels", "troughs",
         "candidates", "before", "unit_ids")


def save_model(model: SorterModel, path: str | Path) -> None:
    """Write ``model`` to ``path`` (NPZ)."""
    target = writable_target(path)
    t = model.templates
    fields = dict(format=np.str_(FORMAT), params=np.str_(json.dumps(asdict(model.params))),
                  sample_rate=np.float64(model.sample_rate), positions=model.probe.positions,
                  whitener=model.whitener.matrix, waveforms=t.waveforms, channels=t.channels,
                  troughs=t.troughs, candidates=t.candidates, before=np.int64(t.before),
                  unit_ids=model.unit_ids)
    with writing(target), open(target, "wb") as fh:
        np.savez_compressed(fh, **fields)


def load_model(path: str | Path) -> SorterModel:
    """Read a model written by ``save_model``."""
    p = existing_file(path)
    try:
        with zipfile.ZipFile(p) as archive:
            a = {key: _read_member(archive, key, p) for key in _KEYS}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise ModelFileError(f"{p} is not a readable NPZ archive ({one_line(exc)})") from None
    except CortexlinkError as exc:
        raise ModelFileError(f"{one_line(exc)}; save the model again with save_model") from None
    if a["format"].dtype.kind != "U" or str(a["format"][()]) != FORMAT:
        raise ModelFileError(f"{p} is not a cortexlink sorter model; write one with save_model")
    try:
        params = SortParams(**json.loads(str(a["params"][()])))
        n_units, n_ch = a["troughs"].shape
        if (a["waveforms"].shape[0] != n_units or a["channels"].shape[0] != n_units
                or a["positions"].shape[0] != n_ch or a["whitener"].shape != (n_ch, n_ch)
                or a["unit_ids"].shape != (n_units,) or a["candidates"].shape[0] != n_ch
                or a["candidates"].max(initial=-1) >= n_units or a["channels"].max(initial=-1) >= n_ch):
            raise ValueError("array shapes disagree")
        before, length = int(a["before"][()]), a["waveforms"].shape[2]
        troughs = a["troughs"]
        if not 0 <= before < length or (troughs < -before).any() or (troughs >= length - before).any():
            raise ValueError("template alignment out of range")
        templates = Templates(a["waveforms"].astype(np.float32), a["channels"].astype(np.int64),
                              a["troughs"].astype(np.int64), a["candidates"].astype(np.int64),
                              before)
        return SorterModel(params, float(a["sample_rate"][()]), Probe(a["positions"].astype(np.float64)),
                           Whitener(a["whitener"]), templates, a["unit_ids"].astype(np.int64))
    except (TypeError, ValueError, CortexlinkError) as exc:
        raise ModelFileError(f"{p}: damaged sorter model ({one_line(exc)})") from None
