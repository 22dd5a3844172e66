"""Settings of the sorter (offline and online share them), with their checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cortexlink.core.errors import InvalidParameterError


@dataclass(frozen=True)
class SortParams:
    """What the sorter does, in physical units; defaults suit 20-30 kHz extracellular recordings.

    Thresholds are in units of the whitened noise (standard deviations).
    """

    low_hz: float = 300.0            # band-pass before everything
    high_hz: float = 6000.0
    filter_order: int = 2
    whiten_radius_um: float = 100.0  # channels whitened together (local whitening)
    detect_threshold: float = 5.0    # detection for clustering
    detect_radius_um: float = 50.0   # a peak must be the largest within this radius (duplicate removal)
    exclude_ms: float = 0.3          # ... and within +-this time
    ms_before: float = 0.8           # waveform window around a spike's trough
    ms_after: float = 1.6
    cluster_radius_um: float = 50.0  # channels whose waveforms form a spike's features
    n_features: int = 8              # PCA components per neighbourhood
    max_spikes_per_channel: int = 3000   # spikes clustered per main channel (the rest are matched)
    min_cluster_size: int = 25
    split_valley: float = 0.7        # a 1-D projection is bimodal when its valley is below this x its peaks
    merge_distance: float = 0.5      # candidate merges: template distance / norm below this
    refractory_ms: float = 1.5       # ... refused when the pair fires within this of each other (0: off)
    template_radius_um: float = 60.0  # channels a template keeps
    template_min_ptp: float = 1.0    # ... where its peak-to-peak is at least this (noise sd)
    match_threshold: float = 4.0     # peaks on the residual tried against templates
    min_amplitude: float = 0.6       # accepted template scalings
    max_amplitude: float = 1.6
    min_score: float = 25.0          # residual energy a match must remove (noise variance units)
    min_explained: float = 0.5       # ... and at least this fraction of the window's energy above noise
    max_lag: int = 2                 # samples searched around the expected alignment
    min_rate_hz: float = 0.05        # units firing less are dropped
    adapt_spikes: float = 300.0      # online: templates follow drift with this time constant (spikes); 0 off
    seed: int = 0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidParameterError(f"sort parameter {name} must be a number, got {value!r}")
            if value < 0:
                raise InvalidParameterError(f"sort parameter {name} must not be negative, got {value!r}")
        if not 0 < self.low_hz < self.high_hz:
            raise InvalidParameterError(f"low_hz ({self.low_hz}) must be positive and below high_hz "
                                        f"({self.high_hz})")
        if self.detect_threshold <= 0 or self.match_threshold <= 0:
            raise InvalidParameterError("detect_threshold and match_threshold must be positive")
        if self.ms_before <= 0 or self.ms_after <= 0:
            raise InvalidParameterError("ms_before and ms_after must be positive")
        if not 0 < self.min_amplitude < self.max_amplitude:
            raise InvalidParameterError("min_amplitude must be positive and below max_amplitude")
        if self.n_features < 1 or self.min_cluster_size < 2:
            raise InvalidParameterError("n_features must be >= 1 and min_cluster_size >= 2")
