"""Reading a store's derived streams: the hash codes and the score streams of its windows.

``DerivedStreams`` is the part of ``SiteStore`` that reads them (sealed chunks from their arrays,
unsealed ones from the tail), with the same retry as signal reads when the writer changes the
layout under a read.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError
from cortexlink.store import layout


class DerivedStreams:
    """Hash and score stream reads of a ``SiteStore`` (which provides the signal reads and state)."""

    _score_cache: OrderedDict[tuple[str, int], np.ndarray]

    @property
    def hash_family(self):
        """The hash family of the stored hash stream (None if the store keeps none)."""
        if self._family is None and self.info.get("hash"):
            from cortexlink.similarity import hash_from_config

            self._family = hash_from_config(self.info["hash"])
        return self._family

    def read_hashes(self, first_window: int, stop_window: int, channels: Any = None) -> np.ndarray:
        """Hash codes ``(n_channels, n_windows, n_tables)`` of windows ``[first, stop)`` (window w covers
        samples ``[w W, (w + 1) W)``); windows not yet sealed are hashed from the tail."""
        return self._retrying(lambda: self._read_hashes(first_window, stop_window, channels))

    def _read_hashes(self, first_window: int, stop_window: int, channels: Any) -> np.ndarray:
        fam = self.hash_family
        if fam is None:
            raise InvalidParameterError(f"site {self.site!r} keeps no hash stream")
        w, idx = self.hash_window, self.channels(channels)
        start, stop = first_window * w, stop_window * w
        self.check_range(start, stop)
        if start < self.manifest["first_hash_chunk"] * self.chunk:
            raise InvalidParameterError(
                f"hashes of [{start}, {stop}) of site {self.site!r} are outside the "
                "hash retention; ask for a more recent range"
            )
        per = self.chunk // w
        out = np.empty((idx.size, stop_window - first_window, fam.n_tables), np.uint64)
        sealed_w = min(stop_window, self.manifest["sealed"] * per)
        for k in range(first_window // per, -(-sealed_w // per) if sealed_w > first_window else 0):
            a, b = max(first_window, k * per), min(sealed_w, (k + 1) * per)
            for i, ch in enumerate(idx):
                path = self.path / "hashes" / f"{int(ch)}.{k}.0"
                try:
                    codes = np.frombuffer(self._hash_codec.decode(path.read_bytes()), np.uint64)
                except FileNotFoundError:
                    raise
                except Exception:
                    raise CorruptDataError(
                        f"hash chunk {path} cannot be decoded; the store is damaged"
                    ) from None
                if codes.size != per * fam.n_tables:
                    raise CorruptDataError(f"hash chunk {path} has the wrong size; it is damaged")
                out[i, a - first_window : b - first_window] = codes.reshape(per, -1)[
                    a - k * per : b - k * per
                ]
        if stop_window > sealed_w:
            lo = max(first_window, sealed_w)
            data = self.read(lo * w, stop, idx).astype(np.float64)
            windows = data.reshape(idx.size, -1, w)
            out[:, lo - first_window :] = fam.hash(windows.reshape(-1, w)).reshape(idx.size, -1, fam.n_tables)
        return out

    # -- score streams ---------------------------------------------------------------------

    def read_scores(self, name: str, first: int, stop: int, channels: Any = None) -> np.ndarray:
        """Values ``[first, stop)`` of score stream ``name`` as ``(n_channels, stop - first)``
        float64: value ``j`` scores the window ending at sample ``(j + 1) hop``."""
        return self._retrying(lambda: self._read_scores(name, first, stop, channels))

    def _read_scores(self, name: str, first: int, stop: int, channels: Any) -> np.ndarray:
        sp = self.score_streams.get(name)
        if sp is None:
            raise InvalidParameterError(f"site {self.site!r} keeps no {name!r} score stream")
        hop, idx = sp["hop"], self.channels(channels)
        per = self.chunk // hop
        if first < self.manifest["first_chunk"] * per or stop * hop > self.n_samples or first > stop:
            raise InvalidParameterError(
                f"{name} scores of windows ending in ({first * hop}, {stop * hop}] of site {self.site!r} "
                "are not all committed and retained; ask for a more recent range"
            )
        out = np.empty((idx.size, stop - first), np.float64)
        sealed = min(stop, self.manifest["sealed"] * per)
        for k in range(first // per, -(-sealed // per) if sealed > first else 0):
            a, b = max(first, k * per), min(sealed, (k + 1) * per)
            out[:, a - first : b - first] = self._score_chunk(name, k, per)[idx, a - k * per : b - k * per]
        if stop > sealed:
            key = layout.score_array(name)
            for tname, a0, b0 in self.manifest["tail"]:
                j0, j1 = a0 // hop, b0 // hop
                a, b = max(first, sealed, j0), min(stop, j1)
                if a < b:
                    out[:, a - first : b - first] = self._tail(tname, a0, b0)[2][key][idx, a - j0 : b - j0]
        return out

    def _score_chunk(self, name: str, k: int, per: int) -> np.ndarray:
        hit = self._score_cache.get((name, k))
        if hit is not None:
            return hit
        path = self.path / layout.score_array(name) / f"0.{k}"
        try:
            vals = np.frombuffer(self._hash_codec_any().decode(path.read_bytes()), np.float64)
        except FileNotFoundError:
            raise
        except Exception:
            raise CorruptDataError(f"score chunk {path} cannot be decoded; the store is damaged") from None
        if vals.size != self.n_channels * per:
            raise CorruptDataError(f"score chunk {path} has the wrong size; it is damaged")
        vals = vals.reshape(self.n_channels, per)
        self._score_cache[(name, k)] = vals
        if len(self._score_cache) > 4 * self._cache_blocks:
            self._score_cache.popitem(last=False)
        return vals

    def _hash_codec_any(self):
        from numcodecs import Zstd

        return self._hash_codec or Zstd(level=1)

