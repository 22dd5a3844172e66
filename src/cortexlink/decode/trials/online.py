"""``WindowClassifier``: a fitted trial classifier run on a sliding window of a stream, giving
class probabilities ``hop_s`` apart (for a cursor, a speller, or a recorder).

The stream is band-passed causally before windowing, with the filter the classifier's training
trials went through (``classifier.band_``): a classifier trained on causally filtered epochs
(``read_epochs(..., causal=True)``, ``cortexlink eeg-train``) sees online exactly the trials it
would see offline, window for window (a test checks). One trained on zero-phase filtered epochs is
refused: no stream can be filtered that way, and the phase of every band would differ from
training. Window ``j`` covers stream samples ``j * hop`` to ``j * hop + window``, as every
``SlidingWindowBlock``. Chunked == whole, like every block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode.trials.base import TrialClassifier
from cortexlink.decode.trials.epochs import FILTER_ORDER, find_channels
from cortexlink.dsp.filters import ButterworthFilter
from cortexlink.dsp.window import SlidingWindowBlock


class _Windows(SlidingWindowBlock):
    def __init__(
        self, classifier: TrialClassifier, sample_rate: float, window_s: float, hop_s: float
    ) -> None:
        super().__init__(sample_rate, window_s, hop_s)
        self.classifier = classifier

    def _n_rows(self, n_channels: int) -> int:
        return len(self.classifier.classes_)

    def _features(self, windows: np.ndarray) -> np.ndarray:
        return self.classifier.predict_proba(np.ascontiguousarray(windows.transpose(1, 0, 2))).T


class WindowClassifier:
    """Chunks of ``(n_stream_channels, n)`` in -> ``(n_classes, n_windows)`` probabilities out.

    ``channels``: which stream rows feed the classifier, as names in ``stream_channels`` (default:
    the classifier's own channel names if the stream's are given, else the first rows).
    ``band``: ``"trained"`` (default) filters as the training trials were; ``None``: no filtering
    (the stream is filtered already).
    """

    def __init__(
        self,
        classifier: TrialClassifier,
        sample_rate: float,
        hop_s: float = 0.25,
        band: str | None = "trained",
        stream_channels: Sequence[str] | None = None,
        n_stream_channels: int | None = None,
    ) -> None:
        classifier._check_fitted()
        if abs(sample_rate - classifier.sample_rate_) > 1e-6 * sample_rate:
            raise InvalidDataError(
                f"the stream runs at {sample_rate:g} Hz but the classifier was trained at "
                f"{classifier.sample_rate_:g} Hz; resample or retrain"
            )
        n = len(classifier.channel_names_)
        if stream_channels:
            self.rows = np.array(find_channels(list(stream_channels), classifier.channel_names_))
        else:
            if n_stream_channels is not None and n_stream_channels < n:
                raise InvalidDataError(
                    f"the stream has {n_stream_channels} channels; the classifier needs {n}"
                )
            self.rows = np.arange(n)
        window_s = classifier.n_samples_ / sample_rate
        self.band = None if band is None else training_band(classifier, band)
        self.filter = (
            None if self.band is None else ButterworthFilter(sample_rate, *self.band, order=FILTER_ORDER)
        )
        self.windows = _Windows(classifier, sample_rate, window_s, hop_s)
        self.classifier = classifier

    @property
    def output_rate(self) -> float:
        return self.windows.output_rate

    @property
    def n_classes(self) -> int:
        return len(self.classifier.classes_)

    def process(self, chunk: Chunk) -> Chunk:
        """Stream rows in, one probability column per completed window out."""
        chunk = chunk.derive(np.ascontiguousarray(chunk.data[self.rows], dtype=np.float64))
        if self.filter is not None:
            chunk = self.filter.process(chunk)
        return self.windows.process(chunk)


def training_band(classifier: TrialClassifier, band: str = "trained") -> tuple[float, float] | None:
    """The causal band-pass that reproduces ``classifier``'s training trials online."""
    if band != "trained":
        raise InvalidParameterError(f"band must be 'trained' or None, got {band!r}")
    if classifier.band_ is None:  # trained on unfiltered trials
        return None
    if not classifier.causal_:
        lo, hi = classifier.band_
        raise InvalidParameterError(
            f"the classifier was trained on zero-phase {lo:g}-{hi:g} Hz filtered trials, which a stream "
            "cannot reproduce; retrain it on causally filtered trials (cortexlink eeg-train, or "
            "read_epochs(..., causal=True))"
        )
    return classifier.band_
