"""NWB files through pynwb: one ``ElectricalSeries`` with its electrodes table.

NWB stores time first, ``(n_samples, n_channels)``, and states samples in volts through
``conversion``; a Recording's int16 counts are written as they are with
``conversion = gain_uv * 1e-6``, float32 microvolts with ``conversion = 1e-6``. The site, channel
ids and metadata ride along in the series' ``comments`` (JSON) and the electrodes table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidDataError, UnsupportedFormatError
from cortexlink.core.optional import require
from cortexlink.core.paths import existing_file, one_line, writable_target, writing
from cortexlink.core.recording import Recording
from cortexlink.io.npz import metadata_json
from cortexlink.io.nwb_session import nwb_subject, nwbfile_fields, session_from_nwbfile, session_info

SERIES_NAME = "ElectricalSeries"
_COMMENT_KEY = "cortexlink"


def _pynwb() -> Any:
    return require("pynwb", "nwb", "NWB")


@contextmanager
def read_nwbfile(path: str | Path) -> Iterator[Any]:
    """The NWBFile in ``path``, open for the ``with`` block (its datasets are read lazily); a file
    that is not readable NWB is a ``CorruptDataError``."""
    p = existing_file(path)
    pynwb = _pynwb()
    try:
        io = pynwb.NWBHDF5IO(str(p), "r")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptDataError(f"{p} is not a readable NWB (HDF5) file ({one_line(exc)})") from None
    with io:
        try:
            nwbfile = io.read()
        except Exception as exc:  # pynwb/hdmf raise many kinds for damaged or foreign files
            raise CorruptDataError(f"{p} could not be read as NWB ({one_line(exc)})") from None
        yield nwbfile


def save_nwb(recording: Recording, path: str | Path, series_name: str = SERIES_NAME,
             session: dict | None = None) -> None:
    """Write ``recording`` as an NWB file holding one ElectricalSeries named ``series_name``.

    ``session`` sets subject and session fields (``subject_id``, ``species``, ``sex``, ``age``,
    ``experimenter``, ``institution``, ``location``, ...; see ``cortexlink.io.nwb_session``); the
    recording's metadata and defaults fill the rest, so the file passes ``nwbinspector --config dandi``.
    """
    pynwb = _pynwb()
    from pynwb.ecephys import ElectricalSeries

    target = writable_target(path)
    info = session_info(recording.metadata, session)
    nwbfile = new_nwbfile(info)
    add_electrodes(nwbfile, recording.site, recording.channel_ids, info)
    region = nwbfile.create_electrode_table_region(
        region=list(range(recording.n_channels)), description="all electrodes"
    )
    is_counts = recording.data.dtype == np.int16
    comments = {_COMMENT_KEY: {
        "site": recording.site,
        "gain_uv": recording.gain_uv,
        "channel_ids": np.asarray(recording.channel_ids).tolist(),
        "channel_id_kind": np.asarray(recording.channel_ids).dtype.kind,
        "metadata": json.loads(metadata_json(recording.metadata)),
    }}
    series = ElectricalSeries(
        name=series_name, data=np.ascontiguousarray(recording.data.T), electrodes=region,
        rate=recording.sample_rate, starting_time=recording.t0,
        conversion=(recording.gain_uv if is_counts else 1.0) * 1e-6,
        comments=json.dumps(comments), description="recorded signal",
    )
    nwbfile.add_acquisition(series)
    with writing(target), pynwb.NWBHDF5IO(str(target), "w") as io:
        io.write(nwbfile)


def new_nwbfile(info: dict[str, Any]) -> Any:
    """An empty ``NWBFile`` with the subject and session fields of ``session_info`` (other writers, e.g.
    of sorted units, start from it too so their files pass the same checks)."""
    pynwb = _pynwb()
    return pynwb.NWBFile(identifier=str(uuid.uuid4()), session_start_time=datetime.now(UTC),
                         subject=nwb_subject(info), **nwbfile_fields(info))


def add_electrodes(nwbfile: Any, site: str, channel_ids: Any, info: dict[str, Any]) -> Any:
    """One device, electrode group and electrode per channel for ``site``; returns the group."""
    name = site.replace("/", "_").replace(":", "_")  # NWB names cannot hold these
    where = info.get("location", "unknown")
    n = len(channel_ids)
    if isinstance(where, list):
        per_channel = [str(x) for x in where] if len(where) == n else ["unknown"] * n
    else:
        per_channel = [str(where)] * n
    location = per_channel[0] if len(set(per_channel)) == 1 else "several (see the electrodes table)"
    described = str(info.get("device_description", f"implant of site {site}"))
    device = nwbfile.create_device(name=f"implant_{name}",
                                   description=f"{described}, {len(channel_ids)} electrodes")
    group = nwbfile.create_electrode_group(
        name=f"site_{name}", description=f"electrodes of site {site}", location=location, device=device,
    )
    nwbfile.add_electrode_column(name="channel_id", description="cortexlink channel id")
    for channel_id, place in zip(channel_ids, per_channel, strict=True):
        nwbfile.add_electrode(group=group, location=place, channel_id=str(channel_id))
    return group


def load_nwb(path: str | Path, series_name: str | None = None) -> Recording:
    """Read the ElectricalSeries named ``series_name`` (default: the first one) from an NWB file."""
    p = existing_file(path)
    with read_nwbfile(p) as nwbfile:
        from pynwb.ecephys import ElectricalSeries

        found = [obj for obj in nwbfile.objects.values() if isinstance(obj, ElectricalSeries)]
        series = _pick(found, series_name, p)
        recording = _recording(series, p)
        session = session_from_nwbfile(nwbfile)
        locations = _locations(series)
        if locations is not None:
            session.setdefault("location", locations)
        recording.metadata.setdefault("session", session)
        return recording


def _locations(series: Any) -> str | list[str] | None:
    """The series' electrode locations: one string when they agree, else one per channel."""
    table = series.electrodes.table
    if "location" not in table.colnames:
        return None
    rows = np.asarray(series.electrodes.data[()]).ravel()
    column = table["location"].data
    found = [v.decode() if isinstance(v, bytes) else str(v) for v in (column[int(i)] for i in rows)]
    return found[0] if len(set(found)) == 1 else found


def _pick(found: list, series_name: str | None, path: Path) -> Any:
    if not found:
        raise UnsupportedFormatError(
            f"{path} holds no ElectricalSeries; cortexlink reads extracellular voltage series"
        )
    if series_name is None:
        acquisition_first = sorted(found, key=lambda s: (s.parent is None or s.parent.name != "root", s.name))
        return acquisition_first[0]
    for series in found:
        if series.name == series_name:
            return series
    names = ", ".join(sorted(s.name for s in found))
    raise UnsupportedFormatError(f"{path} has no ElectricalSeries named {series_name!r}; it has: {names}")


def _recording(series: Any, path: Path) -> Recording:
    check_declared_size(series.data, path)
    data = np.asarray(series.data[()])
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise UnsupportedFormatError(f"{path}: ElectricalSeries {series.name!r} has shape {data.shape}; "
                                     "cortexlink reads (time, channels) series")
    if data.shape[1] == 0:
        raise InvalidDataError(f"{path}: ElectricalSeries {series.name!r} has zero channels")
    rate, t0 = _timing(series, path)
    conversion = float(series.conversion)
    offset = float(getattr(series, "offset", 0.0) or 0.0)
    per_channel = series.channel_conversion
    scale = np.ones(data.shape[1]) if per_channel is None else np.asarray(per_channel[()], dtype=float)
    if scale.shape != (data.shape[1],):
        raise CorruptDataError(
            f"{path}: channel_conversion has {scale.size} values for {data.shape[1]} channels"
        )
    extra = _comments(series)
    stored = extra.get("metadata")
    metadata = dict(stored) if isinstance(stored, dict) else {}
    metadata.update(format="nwb", series_name=series.name, unit=series.unit)
    uniform = offset == 0.0 and bool(np.all(scale == scale[0]))
    volts_per_unit = conversion * float(scale[0])
    if uniform and data.dtype == np.int16:
        signal, gain_uv = data.T, _gain(volts_per_unit, extra)
    elif uniform and data.dtype == np.float32 and volts_per_unit == 1e-6:
        signal, gain_uv = data.T, 1.0
    else:
        volts = data.T.astype(np.float64) * conversion * scale[:, None] + offset
        signal, gain_uv = (volts * 1e6).astype(np.float32), 1.0
    return Recording(
        signal, rate, gain_uv=gain_uv, t0=t0,
        channel_ids=_channel_ids(series, extra), site=str(extra.get("site", _site(series))),
        metadata=metadata,
    )


# deflate, the usual HDF5 filter, cannot compress better than about 1032:1
_MAX_COMPRESSION = 1032


def check_declared_size(dataset: Any, path: Path) -> None:
    """Refuse an HDF5 dataset whose declared shape needs far more bytes than the file stores for it."""
    if not hasattr(dataset, "id") or not hasattr(dataset.id, "get_storage_size"):
        return  # not an h5py dataset (already in memory)
    declared = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
    stored = int(dataset.id.get_storage_size())
    filtered = dataset.compression is not None or dataset.scaleoffset is not None
    if declared > (stored * _MAX_COMPRESSION if filtered else stored):
        raise CorruptDataError(
            f"{path}: dataset {dataset.name} declares shape {dataset.shape} ({declared} bytes) but the file "
            f"stores {stored} bytes for it; the file is damaged or hostile"
        )


def _timing(series: Any, path: Path) -> tuple[float, float]:
    """Sample rate and time of the first sample, from ``rate`` or from evenly spaced timestamps."""
    if series.rate is not None:
        return float(series.rate), float(series.starting_time or 0.0)
    times = np.asarray(series.timestamps[()], dtype=np.float64)
    steps = np.diff(times)
    if times.size < 2 or not np.allclose(steps, steps.mean(), rtol=1e-6, atol=0):
        raise UnsupportedFormatError(
            f"{path}: ElectricalSeries {series.name!r} has irregular timestamps; "
            "cortexlink needs a fixed sample rate"
        )
    return 1.0 / float(steps.mean()), float(times[0])


def _gain(volts_per_count: float, extra: dict) -> float:
    """Microvolts per count: the exact value cortexlink wrote, when it agrees with the file."""
    gain = volts_per_count * 1e6
    written = extra.get("gain_uv")
    if isinstance(written, float) and np.isclose(written, gain, rtol=1e-9, atol=0):
        return written
    return gain


def _comments(series: Any) -> dict:
    try:
        parsed = json.loads(series.comments)
    except (TypeError, ValueError):
        return {}
    extra = parsed.get(_COMMENT_KEY) if isinstance(parsed, dict) else None
    return extra if isinstance(extra, dict) else {}


def _channel_ids(series: Any, extra: dict) -> np.ndarray:
    ids = extra.get("channel_ids")
    if isinstance(ids, list) and len(ids) == len(series.electrodes.data[()]):
        return np.asarray(ids, dtype=str if extra.get("channel_id_kind") == "U" else None)
    return np.asarray(series.electrodes.data[()])


def _site(series: Any) -> str:
    table = series.electrodes.table
    if "group_name" in table.colnames:
        return str(table["group_name"][0])
    return str(table["group"][0].name)
