"""``Epochs``: trials cut from a recording at its event annotations, the form every trial
classifier takes.

Cutting follows MNE's ``Epochs`` exactly (and a test checks it): an annotation at ``onset`` s is
the event sample ``round(onset * rate)``; a trial holds samples ``event + round(tmin * rate)``
through ``event + round(tmax * rate)`` inclusive; trials reaching past either end of the
recording are dropped, and so are trials whose peak-to-peak amplitude on any channel exceeds
``reject_uv`` (MNE's ``reject``). The band-pass (MOABB's 8-35 Hz by default) is a Butterworth
filter run on the whole recording before cutting, so trials carry no filter edges: zero-phase by
default (MOABB's convention), or ``causal``: the very filter the ``eeg_classifier`` node runs on a
stream, so a classifier trained on causal epochs sees online exactly the features it was trained
on (``Epochs.band``/``Epochs.causal`` record the filter; classifiers keep them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording

DEFAULT_BAND = (8.0, 35.0)  # MOABB's motor-imagery band
FILTER_ORDER = 4
MIN_FILTER_CYCLES = 3.0  # a band-pass needs this many periods of its lowest frequency to settle


@dataclass
class Epochs:
    """Trials ``data (n_trials, n_channels, n_samples)`` in microvolts with integer ``labels``
    (indices into ``class_names``); ``session`` says which recording each trial came from (used
    to re-centre each session on its own), ``events`` the event sample of each trial there."""

    data: np.ndarray
    labels: np.ndarray
    sample_rate: float
    channel_names: list[str]
    class_names: list[str]
    tmin: float = 0.0
    session: np.ndarray = field(default=None)  # type: ignore[assignment]
    events: np.ndarray = field(default=None)  # type: ignore[assignment]
    band: tuple[float, float] | None = None  # the band-pass the trials went through (None: unknown/none)
    causal: bool = False  # True: that band-pass ran causally over the recording (as online)

    def __post_init__(self) -> None:
        self.data = np.ascontiguousarray(self.data, dtype=np.float64)
        if self.data.ndim != 3:
            raise InvalidDataError(
                f"epochs data must be (n_trials, n_channels, n_samples), got {self.data.shape}"
            )
        n = self.data.shape[0]
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if self.labels.size != n:
            raise InvalidDataError(f"{n} trials but {self.labels.size} labels")
        self.session = np.zeros(n, np.int64) if self.session is None else np.asarray(self.session, np.int64)
        self.events = np.full(n, -1, np.int64) if self.events is None else np.asarray(self.events, np.int64)
        if len(self.channel_names) != self.data.shape[1]:
            raise InvalidDataError(
                f"{self.data.shape[1]} channels but {len(self.channel_names)} channel names"
            )

    @property
    def n_trials(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[2])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    def __len__(self) -> int:
        return self.n_trials

    def __getitem__(self, index: Any) -> Epochs:
        """The trials ``index`` selects (an index array, a boolean mask or a slice)."""
        idx = np.arange(self.n_trials)[index]
        return replace(
            self,
            data=self.data[idx],
            labels=self.labels[idx],
            session=self.session[idx],
            events=self.events[idx],
        )

    def filter(self, low: float, high: float) -> Epochs:
        """These trials band-passed (zero phase) to ``low``-``high`` Hz, each trial on its own."""
        return replace(
            self, data=bandpass(self.data, self.sample_rate, low, high), band=(low, high), causal=False
        )

    def pick(self, channels: Sequence[str]) -> Epochs:
        """Only ``channels`` (names, matched as ``find_channels`` does), in that order."""
        idx = find_channels(self.channel_names, channels)
        return replace(self, data=self.data[:, idx], channel_names=[self.channel_names[i] for i in idx])


def concatenate(parts: Sequence[Epochs]) -> Epochs:
    """Trials of several ``Epochs`` with the same channels, rate, length and classes, in order."""
    if not parts:
        raise InvalidParameterError("concatenate needs at least one Epochs")
    first = parts[0]
    for p in parts[1:]:
        if (
            p.channel_names != first.channel_names
            or p.sample_rate != first.sample_rate
            or p.n_samples != first.n_samples
            or p.class_names != first.class_names
            or (p.band, p.causal) != (first.band, first.causal)
        ):
            raise InvalidDataError(
                "epochs to concatenate differ in channels, rate, length, classes or filtering"
            )
    return replace(
        first,
        data=np.concatenate([p.data for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
        session=np.concatenate([p.session for p in parts]),
        events=np.concatenate([p.events for p in parts]),
    )


def _normal(name: str) -> str:
    return name.strip().strip(".").lower()


def find_channels(names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indices of ``wanted`` in ``names``, matched ignoring case and EDF's padding dots."""
    index = {_normal(n): i for i, n in enumerate(names)}
    out = []
    for w in wanted:
        if _normal(w) not in index:
            raise InvalidParameterError(
                f"unknown channel {w!r}; the recording has: {', '.join(n.strip('.') for n in names)}"
            )
        out.append(index[_normal(w)])
    return out


def min_filter_samples(sample_rate: float, low: float) -> int:
    """Fewest samples a band-pass with lower edge ``low`` Hz is run on (``MIN_FILTER_CYCLES``
    periods of ``low``): shorter signals are all filter transient."""
    return int(np.ceil(MIN_FILTER_CYCLES * sample_rate / low))


def bandpass(
    data: np.ndarray, sample_rate: float, low: float, high: float, causal: bool = False
) -> np.ndarray:
    """Butterworth band-pass along the last axis, in float64: zero-phase, or ``causal`` (forward
    only from a zero state: ``dsp.filters.ButterworthFilter(rate, low, high, order=4)`` on a stream)."""
    from scipy.signal import butter, sosfilt, sosfiltfilt

    nyquist = sample_rate / 2
    if not 0 < low < high < nyquist:
        raise InvalidParameterError(
            f"band {low:g}-{high:g} Hz must satisfy 0 < low < high < {nyquist:g} Hz (half the sample rate)"
        )
    n = data.shape[-1]
    need = min_filter_samples(sample_rate, low)
    if n < need:
        raise InvalidDataError(
            f"{n} samples ({n / sample_rate:.3g} s) is shorter than the {low:g}-{high:g} Hz filter needs "
            f"({need} samples, {MIN_FILTER_CYCLES:g} periods of {low:g} Hz); "
            "use longer trials or a higher band"
        )
    sos = butter(FILTER_ORDER, [low, high], btype="bandpass", fs=sample_rate, output="sos")
    if causal:
        return sosfilt(sos, np.asarray(data, dtype=np.float64), axis=-1)
    return sosfiltfilt(
        sos, np.asarray(data, dtype=np.float64), axis=-1, padlen=min(n - 1, 3 * (2 * len(sos) + 1))
    )


def event_samples(
    recording: Recording, events: Mapping[str, int] | Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(samples, labels, class_names)`` of the annotations named in ``events``.

    ``events``: descriptions to keep (their order gives the labels 0, 1, ...) or a mapping
    description -> label; ``None`` keeps every description, sorted.
    """
    notes = recording.metadata.get("annotations") or []
    if not notes:
        raise InvalidDataError(
            "the recording has no event annotations to cut trials at; "
            "use an EDF+ file with annotations (e.g. T0/T1/T2 in EEGMMIDB)"
        )
    present = sorted({str(a["description"]) for a in notes})
    if events is None:
        mapping = {d: i for i, d in enumerate(present)}
    elif isinstance(events, Mapping):
        mapping = {str(k): int(v) for k, v in events.items()}
    else:
        mapping = {str(d): i for i, d in enumerate(events)}
    missing = [d for d in mapping if d not in present]
    if len(missing) == len(mapping):
        raise InvalidDataError(
            f"none of the events {', '.join(mapping)} is in the recording; it has {', '.join(present)}"
        )
    n_classes = max(mapping.values()) + 1
    names = [""] * n_classes
    for d, lab in mapping.items():
        names[lab] = f"{names[lab]}+{d}" if names[lab] else d
    rate = recording.sample_rate
    kept = [
        (int(np.round(float(a["onset"]) * rate)), mapping[str(a["description"])])
        for a in notes
        if str(a["description"]) in mapping
    ]
    samples = np.array([k[0] for k in kept], np.int64)
    labels = np.array([k[1] for k in kept], np.int64)
    return samples, labels, names


def epochs_from_recording(
    recording: Recording,
    events: Mapping[str, int] | Sequence[str] | None = None,
    tmin: float = 0.0,
    tmax: float = 3.0,
    band: tuple[float, float] | None = DEFAULT_BAND,
    channels: Sequence[str] | None = None,
    reject_uv: float | None = None,
    session: int = 0,
    causal: bool = False,
) -> Epochs:
    """Trials of ``recording`` at its annotations (see the module docstring for the rules)."""
    if not tmax > tmin:
        raise InvalidParameterError(f"tmax ({tmax}) must be after tmin ({tmin})")
    if reject_uv is not None and not reject_uv > 0:
        raise InvalidParameterError(f"reject_uv must be positive or None, got {reject_uv}")
    rate = recording.sample_rate
    names = list(recording.metadata.get("channel_names") or [str(c) for c in recording.channel_ids])
    samples, labels, class_names = event_samples(recording, events)
    data = recording.data
    if channels is not None:
        idx = find_channels(names, channels)
        data, names = data[idx], [names[i] for i in idx]
    data = np.asarray(data, dtype=np.float64) * float(recording.gain_uv)
    if band is not None:
        data = bandpass(data, rate, float(band[0]), float(band[1]), causal)
    start, stop = int(np.round(tmin * rate)), int(np.round(tmax * rate))
    inside = (samples + start >= 0) & (samples + stop < data.shape[1])
    samples, labels = samples[inside], labels[inside]
    offsets = np.arange(start, stop + 1)
    trials = data[:, samples[:, None] + offsets[None, :]].transpose(1, 0, 2)
    if reject_uv is not None and len(trials):
        ok = np.ptp(trials, axis=2).max(axis=1) <= reject_uv
        trials, samples, labels = trials[ok], samples[ok], labels[ok]
    if len(trials) == 0:
        raise InvalidDataError(
            "no trial is left: every event is too close to an end of the recording "
            "or over the amplitude limit; check tmin/tmax and reject_uv"
        )
    return Epochs(
        trials,
        labels,
        rate,
        [n.strip(".") for n in names],
        class_names,
        tmin,
        np.full(len(labels), session),
        samples,
        None if band is None else (float(band[0]), float(band[1])),
        bool(causal and band is not None),
    )


def read_epochs(paths: str | Path | Sequence[str | Path], **options: Any) -> Epochs:
    """Trials of one or more recordings (any format ``open_recording`` reads), each file its own
    session; ``options`` as ``epochs_from_recording``."""
    from cortexlink.io import open_recording

    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise InvalidParameterError("give at least one recording file")
    parts = [epochs_from_recording(open_recording(p), session=i, **options) for i, p in enumerate(paths)]
    return concatenate(parts)
