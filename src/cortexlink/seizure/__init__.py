"""Seizure detection and propagation across sites.

- features: ``SeizureFeatures``, per-channel windowed features as a streaming block.
- detectors: ``SeizureDetector`` (linear SVM or gradient-boosted trees; fit / predict_proba /
  step / save / load).
- onset: ``OnsetDetector`` (k of n windows, refractory) -> ``SeizureEvent``.
- score: ``score_channels``, per-channel seizure probabilities of one block (for queries).
"""

from cortexlink.seizure.detectors import SeizureDetector, window_labels
from cortexlink.seizure.features import FEATURE_KINDS, SeizureFeatures
from cortexlink.seizure.onset import OnsetDetector, SeizureEvent
from cortexlink.seizure.score import default_detector, score_channels

__all__ = [
    "FEATURE_KINDS", "OnsetDetector", "SeizureDetector", "SeizureEvent", "SeizureFeatures",
    "default_detector", "score_channels", "window_labels",
]
