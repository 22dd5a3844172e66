"""scene_source: every site of the simulator's scene stacked in one stream, chunking-independent;
a recorder per site records its channel slice into that site's store."""

import numpy as np

from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.recorder import Recorder
from cortexlink.nodes.scene_source import SceneSource
from cortexlink.sim import SceneSimulator
from cortexlink.store import find_stores

from .helpers import make_node

SCENE = {
    "n_sites": 2,
    "channels_per_site": 3,
    "sample_rate": 2000.0,
    "scene_s": 1.0,
    "seizure_onset_s": 0.1,
    "realtime": False,
    "duration_s": 0.05,
    "chunk_ms": 5.0,
    "spread_delay_s": 0.02,
}


def test_scene_source_streams_every_site_and_recorders_split_them(tmp_path):
    node = make_node(SceneSource, SCENE)
    chunks = [c["out"] for c in node.generate()]
    data = np.concatenate([c.data for c in chunks], axis=1)
    assert data.shape == (6, 100) and [c.start_sample for c in chunks[:2]] == [0, 10]
    scene = SceneSimulator(
        2, 3, 2000.0, 0, task=None, seizure=True, seizure_onset_s=0.1, spread_delays_s=0.02, seconds=1.0
    )
    np.testing.assert_array_equal(data[3:], scene.simulators["site1"].read(100))
    spec = {"in": StreamSpec("scene", 6, 2000.0, "int16", 10)}
    for k in range(2):
        rec = make_node(
            Recorder,
            {
                "path": str(tmp_path),
                "stream": f"site{k}",
                "channels": [3 * k, 3 * k + 3],
                "format": "none",
                "gain_uv": 0.25,
            },
            spec,
        )
        for c in chunks:
            rec.process({"in": c})
        rec.shutdown()
    stores = find_stores([tmp_path])
    assert [s.site for s in stores] == ["site0", "site1"] and stores[1].gain_uv == 0.25
    np.testing.assert_array_equal(stores[1].read(0, 100), data[3:])
