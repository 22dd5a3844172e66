"""Synthetic neural recordings with ground truth: motor-cortex populations, behaviour, multi-site
scenes with seizures and electrode faults. Deterministic for a seed, whatever the chunking."""

from cortexlink.sim.config import PopulationConfig
from cortexlink.sim.motor import MotorSimulator, SignalSource
from cortexlink.sim.offline import simulate
from cortexlink.sim.truth import GroundTruth, SimResult

__all__ = ["GroundTruth", "MotorSimulator", "PopulationConfig", "SignalSource", "SimResult", "simulate"]
