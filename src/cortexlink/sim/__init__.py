"""Synthetic neural recordings with ground truth: motor-cortex populations, behaviour, multi-site
scenes with seizures and electrode faults. Deterministic for a seed, whatever the chunking.

``simulate(96, 10.0)`` gives a ``SimResult`` (``.recording``, int16 counts with ``gain_uv``, and
``.truth``); ``MotorSimulator(config, seed).stream(chunk_ms=1)`` yields the same samples as
Chunks forever, with ``set_intended_velocity`` for closed-loop use; ``simulate_scene`` makes
several named sites with a spreading seizure and electrode faults.
"""

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
