"""Synthetic neural recordings with ground truth: motor-cortex populations, behaviour, multi-site
scenes with seizures and electrode faults. Deterministic for a seed, whatever the chunking."""

from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.faults import FAULT_KINDS, Fault
from cortexlink.sim.motor import MotorSimulator, SignalSource
from cortexlink.sim.offline import simulate
from cortexlink.sim.scene import SceneResult, SceneSimulator, SceneTruth, simulate_scene
from cortexlink.sim.seizure import SeizureEpisode
from cortexlink.sim.truth import GroundTruth, SimResult

__all__ = [
    "FAULT_KINDS", "Fault", "GroundTruth", "MotorSimulator", "PopulationConfig", "SceneResult",
    "SceneSimulator", "SceneTruth", "SeizureEpisode", "SignalSource", "SimResult", "simulate",
    "simulate_scene",
]
