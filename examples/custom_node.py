"""A custom node: clip artifacts to +-limit microvolts. Run: cortexlink run examples/custom_graph.yaml"""
from dataclasses import dataclass

import numpy as np

from cortexlink.graph import Node


class ClipArtifacts(Node):
    kind = "clip_artifacts"

    @dataclass
    class Settings:
        limit: float = 500.0

    def process(self, inputs):
        chunk = inputs["in"]
        return {"out": chunk.derive(np.clip(chunk.data, -self.settings.limit, self.settings.limit))}
