"""EEG motor imagery: our trial classifiers beside the field's reference pipelines, and online latency.

Offline (PhysioNet EEGMMIDB subject S001, 64 channels at 160 Hz, trials 0-3 s after each cue,
8-35 Hz): left vs right fist imagery, runs 4 and 8, scored by ``cortexlink.decode.trials.evaluate_eeg``:
within-session 5-fold CV (both runs pooled, MOABB's convention), cross-run (train on one run, test
on the other, both ways), and cross-run with 10 calibration trials of the test run (the other
trials scored with and without the calibration). Imagined fists vs feet: run 6, within-session.
References, in the same run on the same trials: MNE ``CSP(n_components=8)`` + scikit-learn LDA, and
pyriemann ``Covariances("oas")`` + ``TangentSpace`` + ``LogisticRegression`` (MOABB's pipelines);
they calibrate by refitting on the training run plus the calibration trials. braindecode's
``EEGNetv4`` is not run: installing braindecode would replace the environment's torch (its
torchaudio pin); our ``eegnet`` is the same published architecture.

Online: ``predict_proba`` of one 3 s window (p50/p99 per pipeline), and end-to-end through a graph:
an LSL outlet in this process streams synthetic 64-channel 160 Hz EEG, a graph ``lsl_source ->
eeg_classifier`` classifies a 3 s window every 0.25 s, and the latency from each chunk's oldest LSL
sample to the classifier's output is read back from the runtime's report; and the BrainFlow
synthetic board (16 channels, 250 Hz) recorded for ``--stream-s`` seconds, checked for gaps.

Every pair of S001 runs with the same classes (``--only pairs``): left/right fist executed (3, 7) and
imagined (4, 8), fists/feet executed (5) and imagined (6): cross-run AUC in all 14 directions, and
the share of the cross-run to within-session accuracy gap that 10 calibration trials recover.

Run: ``python benchmarks/eeg.py`` (``--quick``: no EEGNet or ensemble, 2 calibration draws, 30 s
streams; ``--only offline|pairs|latency|online`` for one section).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
S001 = ROOT / ".." / "shared" / "data" / "eeg_mi" / "eegmmidb" / "S001"

from cortexlink.decode.threads import blas_threads  # noqa: E402
from cortexlink.decode.trials import (  # noqa: E402
    concatenate,
    evaluate_eeg,
    make_classifier,
    read_epochs,
    train_eeg,
)


class Reference:
    """A scikit-learn pipeline behind the trial-classifier calls evaluate_eeg makes; calibration
    refits it on the training trials plus the calibration trials."""

    def __init__(self, build):
        self.build = build

    def fit(self, epochs):
        self.train = epochs
        with blas_threads(1):
            self.model = self.build().fit(epochs.data, epochs.labels)
        return self

    def predict_proba(self, trials):
        with blas_threads(1):
            return self.model.predict_proba(trials.data)

    def calibrate(self, epochs, adapt=True):
        return self.fit(concatenate([self.train, epochs]))


def references():
    import mne
    from mne.decoding import CSP
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    mne.set_log_level("ERROR")
    return {
        "ref:mne-csp-lda": lambda: Reference(
            lambda: make_pipeline(CSP(n_components=8), LinearDiscriminantAnalysis())
        ),
        "ref:pyriemann-ts-lr": lambda: Reference(
            lambda: make_pipeline(Covariances("oas"), TangentSpace(metric="riemann"), LogisticRegression())
        ),
    }


def offline(quick: bool, pipelines: list[str] | None = None, repeats: int | None = None) -> None:
    classical = ["csp-lda", "fbcsp", "ts-lr", "fbts"]
    ours = pipelines or classical + ([] if quick else ["ensemble", "eegnet"])
    refs = references()
    files = [S001 / "S001R04.edf", S001 / "S001R08.edf"]
    t = time.perf_counter()
    draws = repeats or (2 if quick else 5)
    result = evaluate_eeg(files, ours, events=("T1", "T2"), repeats=draws, factories=refs, show_progress=True)
    print(
        f"\nS001 left vs right fist imagery, runs 4 and 8 ({time.perf_counter() - t:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print("\n".join(result.table()))
    names = ours + list(refs)
    print(
        f"\n{'pipeline':<22} {'within AUC':>10} {'cross AUC':>9} {'within acc':>10} "
        f"{'cross-heldout acc':>17} "
        f"{'calibrated acc':>14} {'gap recovered':>13}"
    )
    for n in names:
        w, x = result.get(n, "within"), result.get(n, "cross")
        h, c = result.get(n, "cross-heldout"), result.get(n, "calibrated")
        print(
            f"{n:<22} {w.roc_auc:>10.3f} {x.roc_auc:>9.3f} {w.accuracy:>10.3f} {h.accuracy:>17.3f} "
            f"{c.accuracy:>14.3f} {result.recovered(n):>13.2f}"
        )
    best_ours = max(ours, key=lambda n: result.get(n, "cross").roc_auc)
    best_ref = max(refs, key=lambda n: result.get(n, "cross").roc_auc)
    bo, br = result.get(best_ours, "cross").roc_auc, result.get(best_ref, "cross").roc_auc
    print(
        f"\nbest cross-run AUC: ours {best_ours} {bo:.3f} vs reference {best_ref} {br:.3f} "
        f"(ratio {bo / br:.3f})"
    )
    w, h, c = (result.get(best_ours, k).accuracy for k in ("within", "cross-heldout", "calibrated"))
    if w > h:
        print(
            f"{best_ours}: calibration with 10 trials recovers {result.recovered(best_ours):.2f} of the gap "
            f"between cross-run ({h:.3f}) and within-session ({w:.3f}) accuracy (calibrated {c:.3f})"
        )
    else:
        print(
            f"{best_ours}: no gap to recover: cross-run accuracy on the held-out trials {h:.3f} >= "
            f"within-session {w:.3f}; calibrated {c:.3f}"
        )
    run6 = evaluate_eeg(
        [S001 / "S001R06.edf"], ["ts-lr", "fbts"], events=("T1", "T2"), cross=False, factories=refs
    )
    print("\nS001 run 6, imagined both fists vs both feet, within-session 5-fold CV")
    print("\n".join(r for r in run6.table() if "heldout" not in r))


# S001's runs with the same two classes: left vs right fist executed (3, 7) and imagined (4, 8);
# both fists vs both feet executed (5) and imagined (6)
PAIR_GROUPS = {"left/right fist": (3, 4, 7, 8), "fists/feet": (5, 6)}


def pairs(quick: bool, pipelines: list[str] | None = None, repeats: int | None = None) -> None:
    """Every pair of S001 runs with the same classes (imagined and executed, 7 pairs, 14
    directions): cross-run AUC each way, and the share of the cross-run to within-session accuracy
    gap that 10 calibration trials recover, for ours and the references."""
    from itertools import combinations

    ours = pipelines or ["csp-lda", "fbcsp", "ts-lr", "fbts"]  # EEGNet in 14 directions: too slow here
    refs = references()
    names = ours + list(refs)
    draws = repeats or (2 if quick else 5)
    rows: dict[str, list] = {n: [] for n in names}  # per direction: (label, auc, held, calibrated, within)
    t = time.perf_counter()
    for group, runs in PAIR_GROUPS.items():
        for a, b in combinations(runs, 2):
            files = [S001 / f"S001R{a:02d}.edf", S001 / f"S001R{b:02d}.edf"]
            result = evaluate_eeg(files, ours, events=("T1", "T2"), repeats=draws, factories=refs)
            for d in result.directions:
                src, dst = (a, b)[d.train], (a, b)[d.test]
                within = result.get(d.pipeline, "within").accuracy
                rows[d.pipeline].append(
                    (f"{src}->{dst}", d.roc_auc, d.heldout_accuracy, d.calibrated_accuracy, within)
                )
            print(f"  runs {a} and {b} ({group}) done, {time.perf_counter() - t:.0f} s", flush=True)
    labels = [r[0] for r in rows[names[0]]]
    print(
        f"\nS001, every pair of runs with the same classes ({len(labels)} directions, "
        f"{time.perf_counter() - t:.0f} s, load average {os.getloadavg()[0]:.1f}): "
        "cross-run ROC AUC (train -> test run)"
    )
    print(f"{'pipeline':<22} " + " ".join(f"{lab:>6}" for lab in labels) + f" {'mean':>6}")
    for n in names:
        aucs = [r[1] for r in rows[n]]
        print(f"{n:<22} " + " ".join(f"{a:>6.3f}" for a in aucs) + f" {np.mean(aucs):>6.3f}")
    print(
        f"\n{'pipeline':<22} {'mean cross AUC':>14} {'within acc':>10} {'held-out acc':>12} "
        f"{'calibrated acc':>14} {'gap recovered':>13}"
    )
    for n in names:
        auc, held, cal, within = (np.mean([r[i] for r in rows[n]]) for i in range(1, 5))
        gap = (cal - held) / (within - held) if within > held else float("nan")
        print(f"{n:<22} {auc:>14.3f} {within:>10.3f} {held:>12.3f} {cal:>14.3f} {gap:>13.2f}")
    best_ref = max(refs, key=lambda n: np.mean([r[1] for r in rows[n]]))
    ref_auc = np.array([r[1] for r in rows[best_ref]])
    for n in ours:
        auc = np.array([r[1] for r in rows[n]])
        print(
            f"{n} vs {best_ref}: mean cross AUC {auc.mean():.3f} vs {ref_auc.mean():.3f}; "
            f"higher in {int(np.sum(auc > ref_auc + 1e-9))}, lower in {int(np.sum(auc < ref_auc - 1e-9))} "
            f"of {auc.size} directions"
        )


def window_latency(quick: bool) -> None:
    epochs = read_epochs([S001 / "S001R04.edf"], events=("T1", "T2"))
    print(f"\npredict_proba latency of one {epochs.duration_s:.1f} s window, 64 channels (p50 / p99 ms)")
    for name in ["csp-lda", "ts-lr", "fbts"] + ([] if quick else ["eegnet"]):
        params = {"max_epochs": 3} if name == "eegnet" else {}
        clf = make_classifier(name, **params).fit(epochs)
        x = epochs.data[:1]
        times = []
        for i in range(30 if quick else 100):
            t = time.perf_counter()
            clf.predict_proba(x)
            if i >= 3:
                times.append(time.perf_counter() - t)
        p = np.percentile(np.array(times) * 1e3, [50, 99])
        print(f"  {name:<10} {p[0]:8.2f} {p[1]:8.2f}")


def online(stream_s: float) -> None:
    from cortexlink.io.lsl import synthetic_outlet_thread
    from cortexlink.nodes.recorder import read_recording_folder
    from cortexlink.nodes.run import run

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.npz"  # trained on causally filtered trials, as the node filters
        train_eeg([S001 / "S001R04.edf"], model, "ts-lr")
        graph = Path(tmp) / "g.yaml"
        graph.write_text(f"""
metadata: {{name: lsl-eeg}}
nodes:
  - {{name: lsl_source, nickname: eeg, parameters: {{source_id: cortexlink-bench, chunk_ms: 50}},
     outputs: {{out: eeg}}}}
  - {{name: eeg_classifier, nickname: clf, parameters: {{model: {model}, hop_s: 0.25}}, inputs: {{in: eeg}},
     outputs: {{out: proba}}}}
  - {{name: latency_probe, nickname: probe, inputs: {{in: proba}}}}
""")
        with synthetic_outlet_thread("cortexlink-bench", 64, 160.0, chunk=8, seconds=stream_s + 10):
            report = run(graph, duration=stream_s, pm_qos=False)
        probe = report.metrics.get("probe", {})
        print(
            "\nLSL outlet -> lsl_source -> eeg_classifier (ts-lr, 3 s window every 0.25 s) -> latency_probe, "
            f"{stream_s:.0f} s run: {report.metrics.get('clf', {}).get('windows_classified', 0)} windows; "
            "LSL push of a chunk's oldest sample to its probabilities at the probe: "
            + ", ".join(
                f"{k} {probe.get(f'{k}_us', float('nan')) / 1e3:.1f} ms" for k in ("p50", "p99", "max")
            )
        )
        board = Path(tmp) / "board.yaml"
        board.write_text(f"""
metadata: {{name: brainflow}}
nodes:
  - {{name: brainflow_source, nickname: board, parameters: {{board: synthetic}}, outputs: {{out: eeg}}}}
  - {{name: recorder, nickname: rec, parameters: {{path: {tmp}/rec}}, inputs: {{in: eeg}}}}
""")
        report = run(board, duration=stream_s, pm_qos=False)
        stream = read_recording_folder(Path(tmp) / "rec")["eeg"]
        gaps = report.metrics.get("board", {}).get("package_gaps", "not reported")
        n, span_s = stream.data.shape[1], (stream.origin_ns[-1] - stream.origin_ns[0]) / 1e9
        per_chunk = n / len(stream.origin_ns)
        print(
            f"\nBrainFlow synthetic board -> recorder, {stream_s:.0f} s run: {stream.data.shape[0]} channels "
            f"at {stream.sample_rate:g} Hz, {n} samples recorded in {len(stream.origin_ns)} chunks; "
            "measured rate "
            f"{(n - per_chunk) / span_s:.1f} samples/s; package-counter gaps: {gaps}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("offline", "pairs", "latency", "online"))
    ap.add_argument("--stream-s", type=float, default=None)
    ap.add_argument("--pipelines", help="our pipelines, comma-separated (default: all; --quick: classical)")
    ap.add_argument("--repeats", type=int, help="calibration draws per direction (default 5; --quick 2)")
    args = ap.parse_args()
    stream_s = args.stream_s or (30.0 if args.quick else 60.0)
    if args.only in (None, "offline"):
        offline(args.quick, args.pipelines.split(",") if args.pipelines else None, args.repeats)
    if args.only in (None, "pairs"):
        pairs(args.quick, args.pipelines.split(",") if args.pipelines else None, args.repeats)
    if args.only in (None, "latency"):
        window_latency(args.quick)
    if args.only in (None, "online"):
        online(stream_s)


if __name__ == "__main__":
    main()
