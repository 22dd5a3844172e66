"""Stateful streaming signal processing: every block has ``process(chunk) -> chunk``, ``reset()``
and ``apply(recording_or_array)``, and any chunking of a stream gives the same output as the
whole stream at once.

    chain = Pipeline(ButterworthFilter(30000, 250, 5000), CommonAverageReference(30000),
                     ThresholdCrossings(30000), Binner(30000, bin_ms=20))
    chain.calibrate(calibration_recording)      # thresholds from a quiet segment
    for chunk in recording.chunks(30):          # online: 1 ms at a time ...
        counts = chain.process(chunk)           # ... 20 ms spike counts when a bin completes
    counts_offline = chain.apply(recording)     # offline: the same numbers in one call

``SelfCalibratingCrossings`` sets its thresholds on the stream's own first second (``noise``);
``GroupedFrontEnd`` does the whole front end that way for a stream of several arrays;
``GridAligned`` keeps a binning block on its time grid across gaps in a stream.

``SpikeFrontEnd`` runs band-pass, CAR, threshold crossings and spike band power together, with
the last three fused into one pass (same outputs as the blocks, about a third less time per
1 ms chunk of 1024 channels; ``benchmarks/dsp.py``).
"""

from cortexlink.dsp.band_power import EEG_BANDS, BandPower
from cortexlink.dsp.binning import Binner
from cortexlink.dsp.block import Block
from cortexlink.dsp.filters import ButterworthFilter, NotchFilter, SOSFilter
from cortexlink.dsp.front_end import SpikeFrontEnd
from cortexlink.dsp.gaps import GridAligned
from cortexlink.dsp.grouped_front_end import GroupedFrontEnd
from cortexlink.dsp.neo import NEO
from cortexlink.dsp.noise import NoiseEstimate, noise_level
from cortexlink.dsp.pipeline import Pipeline
from cortexlink.dsp.reference import CommonAverageReference, GroupedReference, channel_groups
from cortexlink.dsp.spike_band_power import SpikeBandPower
from cortexlink.dsp.threshold import SelfCalibratingCrossings, ThresholdCrossings, crossing_events
from cortexlink.dsp.window import LineLength, SlidingWindowBlock

__all__ = [
    "EEG_BANDS", "BandPower", "Binner", "Block", "ButterworthFilter", "CommonAverageReference",
    "GridAligned", "GroupedFrontEnd", "GroupedReference", "LineLength", "NEO", "NoiseEstimate",
    "NotchFilter", "Pipeline", "SOSFilter", "SelfCalibratingCrossings", "SlidingWindowBlock",
    "SpikeBandPower", "SpikeFrontEnd", "ThresholdCrossings", "channel_groups", "crossing_events",
    "noise_level",
]
