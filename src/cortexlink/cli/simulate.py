"""``cortexlink simulate``: make a synthetic recording with ground truth, save it, print a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from cortexlink.cli.nwb_options import add_session_options, session_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate", help="simulate a motor-cortex recording (one implant or several)",
        description="Simulate spiking units, behaviour, noise and LFP on N electrodes and print a summary. "
                    "With --sites K > 1 each site is written to its own file: "
                    "OUT_site0.EXT, OUT_site1.EXT, ...")
    p.add_argument("--channels", type=int, default=96, metavar="N", help="electrodes per site (default 96)")
    p.add_argument("--seconds", type=float, default=10.0, metavar="S", help="duration (default 10)")
    p.add_argument("--rate", type=float, default=30000.0, metavar="HZ", help="sample rate (default 30000)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write the recording here; the extension picks the format (.npz .wav .nwb .bin)")
    p.add_argument("--truth", type=Path, metavar="FILE",
                   help="also write the ground truth (spikes, units, velocity, targets) to this .npz")
    p.add_argument("--sites", type=int, default=1, metavar="K", help="number of implants (default 1)")
    p.add_argument("--seizure", action="store_true",
                   help="add a seizure starting at site 0 and spreading to the others (1 s per site)")
    p.add_argument("--faults", action="store_true",
                   help="add one dead, one saturated and one drifting electrode at random sites")
    p.add_argument("--task", choices=["center_out", "pursuit", "none"], default="center_out",
                   help="behaviour that drives the units (default center_out)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same data")
    p.add_argument("--plot", type=Path, metavar="PNG",
                   help="draw traces with their true spikes, a raster and the velocity (first site)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_session_options(p)
    p.set_defaults(func=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    from cortexlink.core.errors import InvalidParameterError
    from cortexlink.core.progress import progress
    from cortexlink.sim import MotorSimulator, PopulationConfig, SceneSimulator
    from cortexlink.sim.offline import block_sizes, n_samples_for, record

    task = None if args.task == "none" else args.task
    if args.sites < 1:
        raise InvalidParameterError(f"--sites must be at least 1, got {args.sites}")
    if args.out:
        _check_writable_format(args.out)
    show = not args.quiet

    def bar(site: str, sizes: list[int]):
        return progress(sizes, total=len(sizes), description=f"simulating {site}", enabled=show)

    if args.sites == 1 and not (args.faults or args.seizure):
        config = PopulationConfig(n_channels=args.channels, sample_rate=args.rate)
        n = n_samples_for(args.seconds, config.sample_rate)
        sim = MotorSimulator(config, seed=args.seed, task=task)
        results = {"0": record(sim, n, site="0", blocks=bar("site 0", block_sizes(sim, n)))}
        scene_truth = None
    else:
        scene = SceneSimulator(args.sites, args.channels, args.rate, args.seed, task, seizure=args.seizure,
                               faults=True if args.faults else None, seconds=args.seconds)
        out = scene.record(blocks=bar)
        results, scene_truth = out.sites, out.truth

    written = _write(results, args.out, session_options(args)) if args.out else {}
    if args.truth:
        _write_truth(results, args.truth)
    _print_summary(results, written, scene_truth, args.truth)
    if args.plot:
        from cortexlink.sim.plots import plot_simulation

        print(f"plot written to {plot_simulation(next(iter(results.values())), args.plot)}")
    return 0


def _check_writable_format(out: Path) -> None:
    """Refuse an output extension we cannot write before spending time simulating."""
    from cortexlink.core.errors import UnsupportedFormatError
    from cortexlink.io import WRITERS, format_of

    try:
        fmt = format_of(out, sniff=False)
    except UnsupportedFormatError:
        fmt = None
    if fmt not in WRITERS:
        raise UnsupportedFormatError(
            f"cannot write a recording to {out}: use one of the extensions .npz .wav .nwb .bin")


def _site_path(out: Path, site: str, n_sites: int) -> Path:
    return out if n_sites == 1 else out.with_name(f"{out.stem}_{site}{out.suffix}")


def _write(results: dict, out: Path, session: dict | None = None) -> dict[str, str]:
    """Save each site; returns the path written per site (with how to read it back if needed)."""
    from cortexlink.io import readback_options, save_recording

    written = {}
    for site, result in results.items():
        path = _site_path(out, site, len(results))
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        fmt = save_recording(result.recording, path, session=session)
        hint = readback_options(result.recording, fmt)
        written[site] = f"{path} (read back with {hint})" if hint else str(path)
    return written


def _write_truth(results: dict, path: Path) -> None:
    """Ground truth of every site in one .npz, each array's name prefixed by its site."""
    import numpy as np

    arrays = {}
    for site, result in results.items():
        t = result.truth
        prefix = "" if len(results) == 1 else f"{site}/"
        for name in ("spike_samples", "spike_units", "unit_channels", "templates_uv", "baseline_rates_hz",
                     "preferred_directions", "modulation_depths", "velocity", "target_times",
                     "target_positions", "noise_rms_uv", "spike_band_noise_rms_uv"):
            arrays[prefix + name] = getattr(t, name)
        arrays[prefix + "sample_rate"] = np.array(t.sample_rate)
        arrays[prefix + "control_period_samples"] = np.array(t.control_period_samples)
        arrays[prefix + "trough_index"] = np.array(t.trough_index)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _print_summary(results: dict, written: dict, scene_truth, truth_path: Path | None) -> None:
    total_units = total_spikes = 0
    for site, result in results.items():
        s = result.summary()
        total_units += s["units"]
        total_spikes += s["spikes"]
        where = f", written to {written[site]}" if site in written else ""
        label = "" if len(results) == 1 else f"{site}: "
        print(f"{label}{s['channels']} channels x {s['seconds']:g} s at {result.recording.sample_rate:g} Hz: "
              f"{s['units']} units, {s['spikes']} spikes, mean rate {s['mean_rate_hz']:.1f} Hz{where}")
    if len(results) > 1:
        print(f"total: {total_units} units, {total_spikes} spikes")
    if scene_truth is not None:
        for line in seizure_lines(scene_truth):
            print(line)
        for f in scene_truth.faults:
            print(f"fault: {f.kind} on {f.site} channel {f.channel} from {f.start_s:.2f} s")
    if truth_path:
        print(f"ground truth written to {truth_path}")
    if not written:
        print("no file written (give --out FILE to save the recording)")


def seizure_lines(truth) -> list[str]:
    """Where and when the seizure is in the recording, and which sites it runs past the end of."""
    lines = []
    for site in truth.sites:
        beyond = truth.seizure_beyond_end_s.get(site)
        if site in truth.seizure_onsets_s:
            onset, offset = truth.seizure_onsets_s[site], truth.seizure_offsets_s[site]
            line = f"seizure at {site}: {onset:.2f} s to {offset:.2f} s"
            if beyond:
                line += f" (the end of the recording; the episode lasts to {beyond[1]:.2f} s)"
            lines.append(line)
        elif beyond:
            lines.append(f"seizure at {site}: not in the recording (it would start at {beyond[0]:.2f} s, "
                         "after the end; give more --seconds to see it)")
    return lines
