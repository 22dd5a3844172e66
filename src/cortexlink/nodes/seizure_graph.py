"""The multi-site seizure graph (``seizure_graph``; ``graphs/seizure.yaml`` holds its defaults).

A ``seizure_scene`` source (K sites, a seizure starting at site0 and reaching site k
``spread_delay_s`` x k later), a ``seizure_detector`` and a ``propagation`` node per site, and a
``seizure_summary``. Site k's propagation node reads its own detector (``det{k}``) and every
other site's protocol stream (``msg{j}``) as feedback inputs, so the driving inputs form a DAG.
"""

from __future__ import annotations

from cortexlink.core.errors import InvalidParameterError

__all__ = ["seizure_graph"]


def seizure_graph(n_sites: int = 4, channels_per_site: int = 16, sample_rate: float = 1000.0,
                  chunk_ms: float = 2.0, scene_s: float = 30.0, onset_s: float = 6.0,
                  seizure_s: float = 14.0, spread_delay_s: float = 2.0, seed: int = 0) -> str:
    """The graph file text (YAML) for these settings.

    The default rate is an intracranial EEG rate (responsive neurostimulators sample at 250 Hz):
    at 30 kHz the simulator and the detectors' full-rate windows need more CPU than a small
    machine has for ten processes in real time. Chunks of 2 ms bound the wait for an answer
    between two sites (each site reads its peers' messages once per chunk)."""
    if not 2 <= n_sites <= 32 or channels_per_site < 1:
        raise InvalidParameterError(
            "the seizure graph needs 2..32 sites and channels_per_site >= 1, "
            f"got {n_sites}, {channels_per_site}")
    site = "{site: %d, n_sites: " + str(n_sites) + "}"
    lines = [
        f"# `cortexlink run seizure`: {n_sites} simulated sites of {channels_per_site} channels at "
        f"{sample_rate:g} Hz in {chunk_ms:g} ms chunks.",
        f"# A seizure starts at site0 at {onset_s:g} s and reaches site k {spread_delay_s:g} s x k later. "
        "Every site detects",
        "# (seizure_detector), hashes its signal and exchanges hash messages with the others "
        "(propagation); a site",
        "# that sees another's seizure coming confirms by exact DTW and issues a stimulation command. "
        "seizure_summary",
        "# reports detections, latency from true onset, spread pairs found vs true and "
        "detect-to-stimulate p50/p99.",
        "metadata:",
        "  graph_name: seizure",  # no duration_s: the run ends when the scene has been played
        "",
        "nodes:",
        "  - name: seizure_scene",
        "    nickname: scene",
        f"    parameters: {{n_sites: {n_sites}, channels_per_site: {channels_per_site}, "
        f"sample_rate: {sample_rate:g}, seizure_onset_s: {onset_s:g},",
        f"                 seizure_duration_s: {seizure_s:g}, spread_delay_s: {spread_delay_s:g}, "
        f"scene_s: {scene_s:g}, seed: {seed}, chunk_ms: {chunk_ms:g},",
        f"                 duration_s: {scene_s:g}}}",
        "    outputs: {out: raw, truth: truth}",
    ]
    for k in range(n_sites):
        peers = ", ".join(f"site{j}: msg{j}" for j in range(n_sites) if j != k)
        lines += [
            f"  - {{name: seizure_detector, nickname: det{k}, parameters: {site % k}, inputs: {{in: raw}},",
            f"     outputs: {{out: det{k}}}}}",
            f"  - {{name: propagation, nickname: prop{k}, parameters: {site % k}, inputs: {{in: raw}},",
            f"     feedback: {{detections: det{k}, {peers}}},",
            f"     outputs: {{out: msg{k}, events: events{k}}}}}",
        ]
    every = ", ".join(f"detections{k}: det{k}, events{k}: events{k}, site{k}: msg{k}" for k in range(n_sites))
    lines += [
        "  - name: seizure_summary",
        "    nickname: summary",
        "    inputs: {in: truth}",
        f"    feedback: {{{every}}}",
    ]
    return "\n".join(lines) + "\n"
