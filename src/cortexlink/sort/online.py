"""The online sorter: templates from a calibration segment (or an offline sort), then template
matching chunk by chunk.

Each chunk is band-passed (streaming filter state), whitened and appended to a residual buffer;
the peeling loop (``peeler.peel``) scans as far as the buffer allows (it needs ``lookahead``
samples after a spike) and spikes are released once no later step can still find one before
them: a fixed delay of a few milliseconds (``delay_samples``). Candidate templates at a peak are
the units whose channels include the peak's channel (their spatial neighbourhood). With
``adapt_spikes`` > 0 every matched spike moves its unit's template by ``1 / adapt_spikes``
towards it, so templates follow slow drift. The output of a stream does not depend on how it is
chunked (the tests prove it), and with adaptation off it equals the offline matching pass
(``n_jobs=1``) over the same samples.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError
from cortexlink.core.recording import Recording
from cortexlink.sort.matching import Matcher
from cortexlink.sort.offline import SorterModel, fit_sorter
from cortexlink.sort.params import SortParams
from cortexlink.sort.peeler import crossings, rewind_span
from cortexlink.sort.preprocess import band_pass


class Spikes(NamedTuple):
    """Sorted spikes: sample index since the stream began, unit id, amplitude (template scale)."""

    samples: np.ndarray
    units: np.ndarray
    scales: np.ndarray

    @classmethod
    def empty(cls) -> Spikes:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


_EMPTY = Spikes.empty()


class OnlineSorter:
    """Chunk-by-chunk template matching with ``model``'s templates (see the module doc)."""

    def __init__(self, model: SorterModel, adapt: bool = True) -> None:
        self.model = model
        self.adapt = adapt
        self._start(model, 0)

    @classmethod
    def calibrate(cls, recording: Recording, probe: Any = None, params: SortParams | None = None,
                  adapt: bool = True) -> OnlineSorter:
        """An online sorter whose templates come from sorting ``recording`` (a calibration segment)."""
        model, _ = fit_sorter(recording, probe, params)
        return cls(model, adapt)

    def recalibrate(self, source: Recording | SorterModel, probe: Any = None) -> None:
        """Swap in new templates (a model, or one fitted on a calibration ``Recording``) without
        losing the stream's place: spikes already found are kept, matching continues with the new
        units from the next sample not yet scanned. Filter and whitener stay those of the stream."""
        if isinstance(source, Recording):
            model, _ = fit_sorter(source, probe if probe is not None else self.model.probe, self.model.params)
        else:
            model = source
        if model.probe.n_channels != self.model.probe.n_channels:
            raise InvalidDataError(f"the new model has {model.probe.n_channels} channels, the stream "
                                   f"{self.model.probe.n_channels}; calibrate on this stream's channels")
        model = replace(model, whitener=self.model.whitener)
        self.model = model
        self._set_matcher(model)
        self._id_order = np.argsort(model.unit_ids)
        # the new threshold's crossings of what the buffer holds now
        crossings(self._buffer[:, : self._filled], model.params.match_threshold, self._mask[: self._filled])

    @property
    def unit_ids(self) -> np.ndarray:
        return self.model.unit_ids

    @property
    def delay_samples(self) -> int:
        """Samples between a spike and the end of the chunk that releases it, at most."""
        return self._delay

    def _set_matcher(self, model: SorterModel) -> None:
        geometry = model.geometry
        self.matcher = Matcher(model.templates, geometry, model.params, self.adapt)
        self._delay = (self.matcher.lookahead + rewind_span(model.templates, geometry.exclude)
                       + geometry.length
                       + model.params.max_lag)

    def _start(self, model: SorterModel, first: int) -> None:
        self.filter = band_pass(model.params, model.sample_rate)
        self._set_matcher(model)
        n_ch = model.probe.n_channels
        width = 4 * (self.matcher.history + self.matcher.lookahead) + 4096
        self._buffer = np.zeros((n_ch, width), np.float32)
        self._mask = np.zeros(width, np.uint8)  # the buffer's crossings (what the scan looks at)
        self._buf_start = first   # stream index of buffer column 0
        self._filled = 0          # valid columns
        self._pos = first + self.matcher.history
        self._furthest = self._pos
        self._raster_from = first
        self._pending: list[Spikes] = []
        self._id_order = np.argsort(model.unit_ids)

    def reset(self) -> None:
        """Forget the stream (filter state, buffer, pending spikes); keep the templates."""
        self._start(self.model, 0)

    def process(self, chunk: Chunk | np.ndarray) -> Spikes:
        """Take the next samples (microvolts, (n_channels, n_samples)); the spikes now final."""
        data = chunk.data if isinstance(chunk, Chunk) else np.asarray(chunk)
        if data.ndim != 2 or data.shape[0] != self.model.probe.n_channels:
            raise InvalidDataError(f"chunk shape {data.shape}: expected ({self.model.probe.n_channels}, "
                                   "n_samples)")
        if data.shape[1] == 0:
            return Spikes.empty()
        if not np.isfinite(data).all():
            raise InvalidDataError("the chunk holds NaN or infinite values; repair or drop it")
        block = np.ascontiguousarray(data, np.float32)
        filtered = self.filter.process(Chunk(block, 0, self.model.sample_rate))
        self._append(filtered.data)
        end = self._buf_start + self._filled
        stop = end - self.matcher.lookahead
        if stop > self._pos:
            off = self._buf_start
            s, u, a, pos, furthest = self.matcher.scan(self._buffer, self._mask, self._pos - off, stop - off,
                                                       self._furthest - off)
            self._pos, self._furthest = pos + off, furthest + off
            if s.size:
                self._pending.append(Spikes(s + off, u, a))
        return self._release(self._furthest - (self._delay - self.matcher.lookahead))

    def process_raster(self, chunk: Chunk) -> Chunk | None:
        """``process`` as a stream: a uint8 ``(n_units, n)`` chunk with 1 at each final spike, covering
        the samples from where the last one ended up to those now final (None when none are yet),
        like a threshold-crossing stream with units for channels. Keeps ``chunk.origin_ns``."""
        spikes = self.process(chunk)
        frontier = max(self._raster_from, self._furthest - (self._delay - self.matcher.lookahead))
        if self._pending:
            frontier = min(frontier, min(int(p.samples.min()) for p in self._pending))
        n = frontier - self._raster_from
        if n <= 0:
            return None
        raster = np.zeros((self.model.unit_ids.size, n), np.uint8)
        index = np.searchsorted(self.model.unit_ids, spikes.units, sorter=self._id_order)
        raster[self._id_order[index], spikes.samples - self._raster_from] = 1
        out = Chunk(raster, self._raster_from, self.model.sample_rate, chunk.origin_ns)
        self._raster_from = frontier
        return out

    def finish(self) -> Spikes:
        """Release every spike still pending (the stream has ended)."""
        return self._release(np.iinfo(np.int64).max)

    def _append(self, block: np.ndarray) -> None:
        n = block.shape[1]
        keep_from = min(self._pos, self._furthest) - self.matcher.history
        drop = max(0, keep_from - self._buf_start)
        if self._filled + n > self._buffer.shape[1] and drop:
            self._buffer[:, : self._filled - drop] = self._buffer[:, drop:self._filled]
            self._mask[: self._filled - drop] = self._mask[drop:self._filled]
            self._buf_start += drop
            self._filled -= drop
        if self._filled + n > self._buffer.shape[1]:
            grown = np.zeros((self._buffer.shape[0], 2 * (self._filled + n)), np.float32)
            grown[:, : self._filled] = self._buffer[:, : self._filled]
            self._buffer = grown
            mask = np.zeros(grown.shape[1], np.uint8)
            mask[: self._filled] = self._mask[: self._filled]
            self._mask = mask
        new = self._buffer[:, self._filled:self._filled + n]
        self.model.whitener.apply(block, out=new)
        crossings(new, self.model.params.match_threshold, self._mask[self._filled:self._filled + n])
        self._filled += n

    def _release(self, frontier: int) -> Spikes:
        if not self._pending or min(p.samples.min() for p in self._pending) >= frontier:
            return _EMPTY
        s, u, a = (np.concatenate(k) for k in zip(*self._pending, strict=True))
        ready = s < frontier
        self._pending = [Spikes(s[~ready], u[~ready], a[~ready])] if (~ready).any() else []
        order = np.argsort(s[ready], kind="stable")
        return Spikes(s[ready][order], self.model.unit_ids[u[ready][order]], a[ready][order])

    def sort(self, recording: Recording | np.ndarray, chunk_samples: int = 30) -> Spikes:
        """Stream a whole recording through ``process`` in chunks of ``chunk_samples`` (then
        ``finish``): every spike, time-sorted."""
        data = recording.microvolts() if isinstance(recording, Recording) else np.asarray(recording)
        parts = [self.process(data[:, i:i + chunk_samples]) for i in range(0, data.shape[1], chunk_samples)]
        parts.append(self.finish())
        return Spikes(*(np.concatenate(k) for k in zip(*parts, strict=True)))
