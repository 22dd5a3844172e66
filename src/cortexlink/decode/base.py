"""The interface every decoder shares, argument checks, and ``load_decoder``.

Shapes (time is the last axis, as everywhere in cortexlink):

- features ``X``: ``(n_features, n_bins)``, e.g. spike counts per channel per bin;
- kinematics ``Y``: ``(n_outputs, n_bins)``, e.g. x/y velocity; a 1-D ``Y`` is one output;
- online, ``step(x_t)`` takes one column ``(n_features,)`` and returns ``(n_outputs,)``.

``predict(X)`` decodes a sequence from rest; ``reset()`` then ``step`` on the columns of ``X`` in
order gives the same numbers. Decoders are causal: output ``t`` depends only on bins ``<= t``.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError, ModelFileError, NotFittedError
from cortexlink.decode.modelfile import read_model, write_model
from cortexlink.decode.threads import blas_threads

_REGISTRY: dict[str, type[Decoder]] = {}


def register_kind(cls: type[Decoder]) -> type[Decoder]:
    """Class decorator: make ``cls`` loadable by ``load_decoder`` under ``cls.kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


def check_lag_and_penalty(n_lags: int, penalty: float | str, name: str) -> float | str:
    """Check a lagged linear model's lag count and ``"auto"``-or-non-negative penalty; return the penalty."""
    if int(n_lags) < 1:
        raise InvalidParameterError(f"n_lags must be at least 1, got {n_lags}")
    if penalty == "auto":
        return penalty
    if not isinstance(penalty, int | float) or float(penalty) < 0:
        raise InvalidParameterError(f"{name} must be 'auto' or a number >= 0, got {penalty!r}")
    return float(penalty)


def as_features(X: Any, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 ``(n_features, n_bins)`` array, or a clear error."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"{name} must be a numeric array (n_features, n_bins)") from None
    if arr.ndim != 2:
        raise InvalidDataError(
            f"{name} must be 2-D (n_features, n_bins) with time last, got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidDataError(f"{name} is empty (shape {arr.shape}); give at least one feature and one bin")
    if n_features is not None and arr.shape[0] != n_features:
        raise InvalidDataError(
            f"{name} has {arr.shape[0]} features but the decoder was fitted on {n_features}; "
            "pass the same channels in the same order (time is the last axis)"
        )
    if not np.isfinite(arr).all():
        raise InvalidDataError(
            f"{name} holds {int(np.count_nonzero(~np.isfinite(arr)))} NaN or infinite "
            "values; mask missing channels with mask_channels() instead of NaN"
        )
    return np.ascontiguousarray(arr)


def as_targets(Y: Any, n_bins: int, name: str = "Y") -> np.ndarray:
    """``Y`` as a finite float64 ``(n_outputs, n_bins)`` array matching ``n_bins``."""
    arr = np.asarray(Y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    arr = as_features(arr, name)
    if arr.shape[1] != n_bins:
        raise InvalidDataError(
            f"X has {n_bins} bins but {name} has {arr.shape[1]}; they must be the same "
            "length with time on the last axis (transpose a (n_bins, n) array)"
        )
    return arr


class Decoder(ABC):
    """Base of every decoder: ``fit``, ``predict``, ``reset``/``step``, ``save``/``load``.

    Subclasses set ``kind`` (the tag stored in files), ``container`` (``npz`` or
    ``safetensors``), and implement ``_fit``, ``_predict``, ``_reset``, ``_step``, ``params``,
    ``_state`` and ``_restore``.
    """

    kind: ClassVar[str] = ""
    container: ClassVar[str] = "npz"
    online_state_attrs: ClassVar[tuple[str, ...]] = ()  # what ``step`` carries besides the features

    n_features_: int | None = None
    n_outputs_: int | None = None
    _channel_mask: np.ndarray | None = None
    threads: int | None = None  # threads a fit may use (see cortexlink.decode.threads); None: no limit

    # -- the public interface ---------------------------------------------------------------
    def fit(self, X: Any, Y: Any) -> Decoder:
        """Learn from features ``X (n_features, n_bins)`` and targets ``Y (n_outputs, n_bins)``."""
        X = as_features(X)
        Y = self._check_targets(Y, X.shape[1])
        with blas_threads(self.threads):
            self._fit(X, Y)
        self.n_features_ = int(X.shape[0])
        self.n_outputs_ = int(Y.shape[0])
        self._channel_mask = None
        self.reset()
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Decode a sequence from rest: ``(n_features, n_bins) -> (n_outputs, n_bins)``."""
        self._check_fitted()
        return self._predict(as_features(X, n_features=self.n_features_))

    def reset(self) -> None:
        """Return the online state to rest (what ``predict`` starts from)."""
        self._check_fitted()
        self._reset()

    def step(self, x_t: Any, mask: Any = None) -> np.ndarray:
        """Decode one bin online: ``(n_features,) -> (n_outputs,)``.

        ``mask`` (optional): the channels that are dead now (bool per feature, or indices); when it
        differs from the current mask the decoder switches to it (``set_channel_mask``). Values
        of masked channels are ignored, NaN included.
        """
        self._check_fitted()
        if mask is not None:
            mask = self._as_mask(mask)
            if not np.array_equal(mask, self.channel_mask):
                self.set_channel_mask(mask)
        # one memory layout whatever the caller passes (a column of a chunk is strided, a masked
        # copy is not): a second layout would load another compiled kernel on the first masked bin
        x = np.ascontiguousarray(x_t, dtype=np.float64)
        if x.shape != (self.n_features_,):
            raise InvalidDataError(f"step expects one bin of shape ({self.n_features_},), got {x.shape}")
        dead = self._channel_mask
        if dead is not None and dead.any():
            x = np.where(dead, 0.0, x)
        if not np.isfinite(x).all():
            raise InvalidDataError("step input holds NaN or infinite values; mask missing channels instead")
        return self._step(x)

    @property
    def channel_mask(self) -> np.ndarray:
        """Bool per input feature: true where the channel is masked (see ``set_channel_mask``)."""
        self._check_fitted()
        if self._channel_mask is None:
            self._channel_mask = np.zeros(self.n_features_, dtype=bool)
        return self._channel_mask

    def set_channel_mask(self, dead: Any) -> None:
        """Decode without the channels where ``dead`` is true (bool per feature, or channel indices).

        Kalman and Wiener decoders without PCA re-solve their weights for the live channels,
        exactly as if they had been fitted without the dead ones (their sufficient statistics are
        kept for that); other decoders hold dead channels at their training mean, and the networks
        refit their read-out for it (``cortexlink.decode.network_head``). An empty mask
        restores the fitted decoder. The mask persists until changed (``reset`` keeps it); the
        online state is kept too, so decoding goes on from where it was.
        """
        self._check_fitted()
        mask = self._as_mask(dead)
        state = self.online_state()
        with blas_threads(self.threads):  # as in fit: the same numbers whatever the machine's pool
            self._apply_mask(mask)
        self._channel_mask = mask
        self.restore_online_state(state)

    def adapt(self, X: Any, Y: Any, keep: float = 0.5) -> None:
        """Blend in a fit of the model to recent closed-loop data (SmoothBatch, Dangi et al. 2013):
        new parameters = ``keep`` x old + (1 - ``keep``) x fitted on ``X, Y`` alone; ``keep=0`` is
        a full refit on the batch (ReFIT, Gilja et al. 2012). The feature scaling learnt at
        calibration stays, and so do the channel mask and the online state."""
        self._check_fitted()
        if not 0.0 <= float(keep) < 1.0:
            raise InvalidParameterError(f"keep must lie in [0, 1), got {keep!r}")
        X = as_features(X, n_features=self.n_features_)
        Y = self._check_targets(Y, X.shape[1])
        state = self.online_state()
        with blas_threads(self.threads):
            self._adapt(X, Y, float(keep))
        self.restore_online_state(state)

    def _adapt(self, X: np.ndarray, Y: np.ndarray, keep: float) -> None:
        raise InvalidParameterError(
            f"{type(self).__name__} cannot adapt its parameters online; recalibrate it instead"
        )

    def online_state(self) -> dict[str, Any]:
        """A copy of what ``step`` carries from bin to bin (for handing over to a swapped-in copy)."""
        self._check_fitted()
        f = self.features
        return {"features": (f._buf.copy(), f._pos.copy()),
                **{k: copy.deepcopy(getattr(self, k)) for k in self.online_state_attrs}}

    def restore_online_state(self, state: dict[str, Any]) -> None:
        """Continue from ``online_state()`` of this decoder or of one with the same shapes."""
        buf, pos = state["features"]
        if buf.shape != self.features._buf.shape:
            raise InvalidParameterError("the online state comes from a decoder of other dimensions")
        self.features._buf[...] = buf
        self.features._pos[...] = pos
        for k in self.online_state_attrs:
            setattr(self, k, copy.deepcopy(state[k]))

    def mask_channels(self, channels: np.ndarray | list[int]) -> None:
        """Add ``channels`` (indices) to the masked ones: dead or missing electrodes."""
        self.set_channel_mask(self.channel_mask | self._as_mask(channels))

    def _as_mask(self, dead: Any) -> np.ndarray:
        arr = np.asarray(dead)
        if arr.size == 0:
            return np.zeros(self.n_features_, dtype=bool)
        if arr.dtype == bool:
            if arr.shape != (self.n_features_,):
                raise InvalidParameterError(
                    f"a channel mask needs one bool per input feature ({self.n_features_}), "
                    f"got shape {arr.shape}"
                )
            return arr.copy()
        try:
            idx = arr.astype(np.int64, casting="safe").ravel()
        except TypeError:
            raise InvalidParameterError("a channel mask is a bool array or a list of channel indices") \
                from None
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_features_):
            raise InvalidParameterError(
                f"channel index out of range 0..{self.n_features_ - 1}: {idx.tolist()}"
            )
        mask = np.zeros(self.n_features_, dtype=bool)
        mask[idx] = True
        return mask

    def _apply_mask(self, mask: np.ndarray) -> None:
        """Change the model for ``mask``; by default dead channels are held at their training mean."""
        self.features.set_mask(mask)

    def save(self, path: str | Path) -> Path:
        """Write the fitted decoder to ``path`` (safe format, see ``cortexlink.decode.modelfile``)."""
        self._check_fitted()
        extra = {"n_features": self.n_features_, "n_outputs": self.n_outputs_, **self._extra()}
        if self._channel_mask is not None and self._channel_mask.any():
            extra["masked_channels"] = np.flatnonzero(self._channel_mask).tolist()
        return write_model(path, self.kind, self.params(), self._state(), self.container, extra)

    @classmethod
    def load(cls, path: str | Path) -> Decoder:
        """Read a decoder of this class from ``path``; another kind is a ``ModelFileError``."""
        meta, arrays = read_model(path)
        if meta["kind"] != cls.kind:
            raise ModelFileError(
                f"{path} holds a {meta['kind']!r} decoder, not {cls.kind!r}; "
                "use cortexlink.decode.load_decoder(path) to load any kind"
            )
        return cls._from_file(path, meta, arrays)

    @classmethod
    def _from_file(cls, path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Decoder:
        cls._check_requirements()
        try:
            dec = cls(**meta["params"])
            extra = meta["extra"]
            dec.n_features_ = int(extra["n_features"])
            dec.n_outputs_ = int(extra["n_outputs"])
            dec._restore(arrays, extra)
            if extra.get("masked_channels"):  # the stored weights are already solved for it
                dec._channel_mask = dec._as_mask(extra["masked_channels"])
                dec.features.set_mask(dec._channel_mask)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(
                f"{path}: the {cls.kind!r} decoder file is incomplete or inconsistent ({exc}); retrain it"
            ) from None
        dec.reset()
        return dec

    @classmethod
    def _check_requirements(cls) -> None:
        """Raise a clear error if an optional dependency this kind needs is missing."""
        return None

    def clone(self) -> Decoder:
        """An unfitted decoder with the same parameters (used by cross-validation and recalibration)."""
        return type(self)(**self.params())

    @property
    def is_fitted(self) -> bool:
        return self.n_features_ is not None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    # -- for subclasses ----------------------------------------------------------------------
    def _check_targets(self, Y: Any, n_bins: int) -> np.ndarray:
        return as_targets(Y, n_bins)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted; call fit(X, Y) or load a file")

    def _extra(self) -> dict[str, Any]:
        return {}

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable."""

    @abstractmethod
    def _fit(self, X: np.ndarray, Y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _reset(self) -> None: ...

    @abstractmethod
    def _step(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None: ...


def load_decoder(path: str | Path) -> Decoder:
    """Load any decoder file, choosing the class from the kind stored in it."""
    meta, arrays = read_model(path)
    _import_all_kinds(meta["kind"])
    cls = _REGISTRY.get(meta["kind"])
    if cls is None:
        raise ModelFileError(
            f"{path} holds an unknown decoder kind {meta['kind']!r}; "
            f"known kinds: {', '.join(sorted(_REGISTRY))}"
        )
    return cls._from_file(path, meta, arrays)


def _import_all_kinds(kind: str) -> None:
    import cortexlink.decode.classify  # noqa: F401
    import cortexlink.decode.kalman  # noqa: F401
    import cortexlink.decode.wiener  # noqa: F401

    if kind in ("gru", "lstm") and kind not in _REGISTRY:
        import cortexlink.decode.recurrent  # noqa: F401  (raises a clear error without torch)
    if kind == "ndt" and kind not in _REGISTRY:
        import cortexlink.decode.transformer  # noqa: F401
    if kind == "lfads" and kind not in _REGISTRY:
        import cortexlink.decode.lfads  # noqa: F401
