"""Built-in nodes: thin adapters that run cortexlink's algorithms inside the runtime.

``BUILTIN_NODES`` maps each node kind used in graph files to the class implementing it, as a
``"module:Class"`` reference, so the runtime can find a kind without importing every algorithm.
``DEFAULT_GRAPH`` is the graph ``cortexlink run`` runs with no arguments.
"""

from pathlib import Path

BUILTIN_NODES: dict[str, str] = {
    "sim_source": "cortexlink.nodes.sim_source:SimSource",
    "scene_source": "cortexlink.nodes.scene_source:SceneSource",
    "file_source": "cortexlink.nodes.file_source:FileSource",
    "filter": "cortexlink.nodes.signal:Filter",
    "car": "cortexlink.nodes.signal:CommonAverage",
    "threshold_crossings": "cortexlink.nodes.signal:ThresholdCrossingsNode",
    "spike_band_power": "cortexlink.nodes.signal:SpikeBandPowerNode",
    "spike_features": "cortexlink.nodes.spike_features:SpikeFeatures",
    "binner": "cortexlink.nodes.binning:BinnerNode",
    "feature_binner": "cortexlink.nodes.binning:FeatureBinner",
    "decoder": "cortexlink.nodes.decoder:DecoderNode",
    "binned_decoder": "cortexlink.nodes.binned_decoder:BinnedDecoder",
    "cursor_task": "cortexlink.nodes.cursor_task:CursorTaskNode",
    "recorder": "cortexlink.nodes.recorder:Recorder",
    "latency_probe": "cortexlink.nodes.latency_probe:LatencyProbe",
    "monitor": "cortexlink.nodes.monitor:MonitorNode",
    "redis_stream_in": "cortexlink.nodes.redis_streams:RedisStreamIn",
    "redis_stream_out": "cortexlink.nodes.redis_streams:RedisStreamOut",
    "external": "cortexlink.nodes.external:ExternalNode",
    "partial_decoder": "cortexlink.nodes.partial_decoder:PartialDecoder",
    "partial_leader": "cortexlink.nodes.partial_decoder:PartialLeader",
    "safety": "cortexlink.nodes.safety:SafetyNode",
    "eeg_classifier": "cortexlink.nodes.eeg_classifier:EEGClassifier",
    "brainflow_source": "cortexlink.nodes.brainflow_source:BrainFlowSource",
    "lsl_source": "cortexlink.nodes.lsl:LSLSource",
    "lsl_sink": "cortexlink.nodes.lsl:LSLSink",
    "spike_sorter": "cortexlink.nodes.spike_sorter:SpikeSorter",
    "seizure_scene": "cortexlink.nodes.seizure:SeizureSceneSource",
    "seizure_detector": "cortexlink.nodes.seizure:SeizureDetectorNode",
    "propagation": "cortexlink.nodes.seizure:PropagationNode",
    "seizure_summary": "cortexlink.nodes.seizure:SeizureSummaryNode",
}

DEFAULT_GRAPH: Path = Path(__file__).resolve().parent / "graphs" / "default.yaml"

__all__ = ["BUILTIN_NODES", "DEFAULT_GRAPH"]
