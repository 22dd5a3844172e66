"""Graph files for movement intent over several sites: per-site partial decoders and a leader
(``movement_sites_graph``, what ``graphs/movement-sites.yaml`` holds for 3 sites), and the same
acquisition with every site's features decoded by one node (``features_to_one_graph``)."""

from __future__ import annotations

from cortexlink.core.errors import InvalidParameterError

__all__ = ["movement_sites_graph", "features_to_one_graph"]


def _head(name: str, n_sites: int, channels: int, duration_s: float, what: str) -> list[str]:
    if not 1 <= n_sites <= 64 or channels < 1:
        raise InvalidParameterError(f"n_sites must be 1..64 and channels >= 1, got {n_sites}, {channels}")
    return [
        f"# Movement intent over {n_sites} simulated sites of {channels} channels at 30 kHz: {what}",
        "metadata:",
        "  participant_id: sim_monkey",
        f"  graph_name: {name}",
        f"  duration_s: {duration_s:g}",
        "",
        "nodes:",
        "  - name: sim_source",
        "    nickname: monkey",
        f"    parameters: {{n_arrays: {n_sites}, channels_per_array: {channels}, sample_rate: 30000.0, "
        "chunk_ms: 1.0, generate_ms: 10.0, seed: 0}",
        "    outputs: {out: raw, behaviour: behaviour}",
        "    feedback: {velocity: intended}",
        "  - name: spike_features",
        "    nickname: frontend",
        f"    parameters: {{low: 250.0, high: 5000.0, order: 4, groups: {n_sites}, k: -4.5, rms_s: 1.0, "
        "bin_ms: 1.0}",
        "    inputs: {in: raw}",
        "    outputs: {crossings: crossings, power: power}",
    ]


# three 10 ms lags, a fixed ridge: fitted in well under a second, on each site and on one node alike
_PARAMS = "{n_lags: 3, ridge: 1.0}"
_TASK = [
    "  - name: cursor_task",
    "    nickname: task",
    "    parameters: {seed: 0}",
    "    inputs: {in: decoded}",
    "    feedback: {behaviour: behaviour}",
    "    outputs: {intended: intended, state: cursor}",
]


def movement_sites_graph(
    n_sites: int = 3, channels: int = 96, calibration_s: float = 20.0, duration_s: float = 40.0
) -> str:
    """Per-site ``partial_decoder`` nodes, a ``partial_leader`` summing their shares, the cursor task."""
    lines = _head(
        "movement-sites",
        n_sites,
        channels,
        duration_s,
        "each site sends its share of a linear decision (2 numbers per 10 ms bin) to a leader, "
        "which drives the cursor and broadcasts the decision back (feedback)",
    )
    for s in range(n_sites):
        lines += [
            "  - name: partial_decoder",
            f"    nickname: site{s}",
            f"    parameters: {{site: {s}, n_sites: {n_sites}, decoder: wiener, params: {_PARAMS}, "
            f"bin_ms: 10.0, calibration_s: {calibration_s:g}}}",
            "    inputs: {crossings: crossings, power: power}",
            "    feedback: {intended: behaviour, feedback: decision_feedback}",
            f"    outputs: {{out: share{s}}}",
        ]
    ports = ", ".join(f"site{s}: share{s}" for s in range(n_sites))
    lines += [
        "  - name: partial_leader",
        "    nickname: leader",
        f"    parameters: {{channels_per_site: {channels}}}",
        f"    inputs: {{{ports}}}",
        "    outputs: {out: decoded, feedback: decision_feedback}",
        *_TASK,
    ]
    return "\n".join(lines) + "\n"


def features_to_one_graph(
    n_sites: int = 3, channels: int = 96, calibration_s: float = 20.0, duration_s: float = 40.0
) -> str:
    """The same scene with every site's binned features decoded by one ``binned_decoder``."""
    lines = _head(
        "movement-features-to-one",
        n_sites,
        channels,
        duration_s,
        "every site's binned features go to one decoder node",
    )
    lines += [
        "  - name: binned_decoder",
        "    nickname: decoder",
        f"    parameters: {{bin_ms: 10.0, decoder: wiener, params: {_PARAMS}, "
        f"calibration_s: {calibration_s:g}}}",
        "    inputs: {crossings: crossings, power: power}",
        "    feedback: {intended: behaviour}",
        "    outputs: {out: decoded, features: features}",
        *_TASK,
    ]
    return "\n".join(lines) + "\n"
