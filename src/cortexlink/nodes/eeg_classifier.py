"""``eeg_classifier``: class probabilities of a sliding window of EEG, from a saved trial
classifier (``cortexlink.decode.trials``), one column every ``hop_s`` (rows in the classifier's
class order) for a cursor, a speller or a recorder. The stream is band-passed causally with the
filter the training trials went through (``cortexlink eeg-train`` trains on causally filtered
trials; a classifier trained on zero-phase filtered trials is refused at start)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import Node
from cortexlink.graph.settings import graph_path
from cortexlink.nodes._specs import only_input, resampled


def _load(path: str) -> Any:
    from cortexlink.decode.trials import load_classifier

    return load_classifier(path)


class EEGClassifier(Node):
    """Sliding-window trial classification; the window is the classifier's trial length."""

    kind = "eeg_classifier"

    @dataclass
    class Settings:
        model: str = graph_path()  # trial classifier file (cortexlink eeg-train, or .save())
        hop_s: float = 0.25  # seconds between outputs
        raw: bool = False  # true: no band-pass (the input is filtered already); else the training filter

        def __post_init__(self) -> None:
            if not self.hop_s > 0:
                raise InvalidParameterError(f"hop_s must be positive, got {self.hop_s}")

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        clf = _load(settings.model)
        hop = max(1, round(settings.hop_s * spec.sample_rate))
        return {"out": resampled(spec, spec.sample_rate / hop, "float32", len(clf.classes_))}

    def setup(self) -> None:
        from cortexlink.decode.trials.online import WindowClassifier

        spec = self.context.input_specs.get("in")
        clf = _load(self.settings.model)
        band = None if self.settings.raw else "trained"
        rate = spec.sample_rate if spec is not None else clf.sample_rate_
        self.block = WindowClassifier(
            clf, rate, self.settings.hop_s, band, n_stream_channels=None if spec is None else spec.n_channels
        )
        self.windows = 0

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        out = self.block.process(inputs["in"])
        if out.n_samples == 0:
            return None
        self.windows += out.n_samples
        return {"out": out}

    def shutdown(self) -> None:
        self.context.report({"windows_classified": self.windows})
