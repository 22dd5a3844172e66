"""Real signal for the similarity benchmark: source recordings, tiled histories, held-apart queries.

Three kinds of recording from ``../shared/data``: Bonn EEG (text, 173.61 Hz, read with
``cortexlink.io.load_text``), Kaggle Dog_1 intracranial EEG (1 s ``.mat`` clips at 399.61 Hz, read
with ``scipy.io.loadmat``, consecutive interictal clips joined into longer runs) and Neuralink
(WAV, 19531 Hz, ``cortexlink.io.load_wav``). Each gives a list of 1-D source signals.

The sources are split into two disjoint sets. A history of ``n_channels`` x ``seconds`` is tiled
from the first set (each channel a random sequence of random excerpts, so an hour of 96 channels
can be built from a few minutes of real signal), and the queries are windows of the second set,
which the history never saw. ``history_bytes`` says what a history costs before it is built, and
``make_dataset`` refuses one over the memory budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data").resolve()
MEMORY_BUDGET = 3 * 2**30  # bytes for one history's signal and windows together

# window (samples) and rate (Hz) per kind: 1-2 s windows at EEG rates, 120 samples at the spike-band rate
KINDS = {
    "bonn": {"window": 256, "rate": 173.61},
    "dog1": {"window": 400, "rate": 399.61},
    "neuralink": {"window": 120, "rate": 19531.0},
}


@dataclass
class Dataset:
    """A tiled history cut into windows, and queries from recordings the history does not contain."""

    kind: str
    sample_rate: float
    window: int
    step: int
    signal: np.ndarray  # (n_channels, n_samples) float32, the tiled history
    windows: np.ndarray  # (n_windows, window) float64, every ``step``-th window of every channel
    channel: np.ndarray  # (n_windows,) channel of each window
    start: np.ndarray  # (n_windows,) first sample of each window in its channel
    queries: np.ndarray  # (n_queries, window) float64, held-apart windows
    label: str = ""
    sources: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.signal.shape[1] / self.sample_rate


def bonn_sources(data_dir: Path = DATA, sets: tuple[str, ...] = ("C_N", "D_F", "E_S"),
                 max_files: int | None = None) -> list[np.ndarray]:
    """Bonn EEG segments (23.6 s each) of the intracranial sets, as float64 signals."""
    from cortexlink.io import load_text

    files = [f for s in sets for f in sorted((data_dir / "seizure" / "bonn" / s).glob("*.txt"))]
    return [load_text(f).data[0].astype(np.float64) for f in files[:max_files]]


def dog1_sources(data_dir: Path = DATA, max_files: int | None = None, piece_s: int = 20) -> list[np.ndarray]:
    """Kaggle Dog_1 interictal clips: consecutive 1 s clips joined and cut into ``piece_s`` pieces per
    channel, so history and queries can come from different minutes."""
    from scipy.io import loadmat

    folder = data_dir / "seizure" / "kaggle_dog1"

    def number(path: Path) -> int:
        return int(re.search(r"(\d+)\.mat$", path.name).group(1))

    files = sorted(folder.glob("Dog_1_interictal_segment_*.mat"), key=number)[:max_files]
    runs: list[list[np.ndarray]] = []
    last = None
    for f in files:
        clip = np.asarray(loadmat(f)["data"], dtype=np.float64)
        if last is None or number(f) != last + 1:
            runs.append([])
        runs[-1].append(clip)
        last = number(f)
    pieces = []
    for run in runs:
        joined = np.concatenate(run, axis=1)
        step = piece_s * run[0].shape[1]
        pieces += [ch for first in range(0, joined.shape[1], step) for ch in joined[:, first:first + step]]
    return pieces


def neuralink_sources(data_dir: Path = DATA, max_files: int | None = None) -> list[np.ndarray]:
    """Neuralink single-electrode recordings (about 5 s at 19531 Hz each)."""
    from cortexlink.io import load_wav

    files = sorted((data_dir / "neuralink").glob("*.wav"))[:max_files]
    return [load_wav(f).data[0].astype(np.float64) for f in files]


SOURCES = {"bonn": bonn_sources, "dog1": dog1_sources, "neuralink": neuralink_sources}


def split_sources(sources: list[np.ndarray], held_fraction: float,
                  rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Shuffle whole recordings into (history sources, query sources); no recording is in both."""
    order = rng.permutation(len(sources))
    n_held = max(1, round(held_fraction * len(sources)))
    return [sources[i] for i in order[n_held:]], [sources[i] for i in order[:n_held]]


def tile_history(sources: list[np.ndarray], n_channels: int, n_samples: int, rng: np.random.Generator,
                 excerpt: int = 4096) -> np.ndarray:
    """``(n_channels, n_samples)`` float32: each channel a random sequence of random source excerpts.

    Each excerpt has its own mean removed, so the joins do not add steps that real signal lacks.
    """
    out = np.empty((n_channels, n_samples), dtype=np.float32)
    for ch in range(n_channels):
        pos = 0
        while pos < n_samples:
            src = sources[rng.integers(len(sources))]
            length = min(excerpt, src.size, n_samples - pos)
            first = int(rng.integers(0, src.size - length + 1))
            piece = src[first:first + length]
            out[ch, pos:pos + length] = piece - piece.mean()
            pos += length
    return out


def cut_windows(signal: np.ndarray, window: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``step``-th window of every channel: ``(windows, channel, start)``, channel-major."""
    n_channels, n_samples = signal.shape
    starts = np.arange(0, n_samples - window + 1, step)
    view = np.lib.stride_tricks.sliding_window_view(signal, window, axis=1)[:, starts]
    windows = np.ascontiguousarray(view.reshape(-1, window), dtype=np.float64)
    channel = np.repeat(np.arange(n_channels), starts.size)
    return windows, channel, np.tile(starts, n_channels)


def query_windows(sources: list[np.ndarray], n: int, window: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` windows at random places of the held-apart sources, mean removed like the history."""
    out = np.empty((n, window))
    for i in range(n):
        src = sources[rng.integers(len(sources))]
        first = int(rng.integers(0, src.size - window + 1))
        out[i] = src[first:first + window] - src[first:first + window].mean()
    return out


def history_bytes(n_channels: int, n_samples: int, window: int, step: int) -> int:
    """Memory a history takes: its float32 signal plus its float64 windows."""
    n_windows = n_channels * max(0, (n_samples - window) // step + 1)
    return 4 * n_channels * n_samples + 8 * n_windows * window


def make_dataset(kind: str, seconds: float, n_channels: int = 96, n_queries: int = 20,
                 step: int | None = None, seed: int = 0, data_dir: Path = DATA, held_fraction: float = 0.2,
                 max_files: int | None = None) -> Dataset:
    """A history of ``n_channels`` x ``seconds`` of ``kind`` ('bonn', 'dog1', 'neuralink') and its queries.

    Windows are ``KINDS[kind]['window']`` samples, one every ``step`` (default: half a window).
    """
    spec = KINDS[kind]
    window = spec["window"]
    step = step or window // 2
    n_samples = int(round(seconds * spec["rate"]))
    need = history_bytes(n_channels, n_samples, window, step)
    if need > MEMORY_BUDGET:
        raise MemoryError(f"{kind}: {n_channels} channels x {seconds:g} s with step {step} needs "
                          f"{need / 2**30:.1f} GiB (budget {MEMORY_BUDGET / 2**30:.0f} GiB); shorten it")
    rng = np.random.default_rng(seed)
    sources = SOURCES[kind](data_dir, max_files=max_files)
    history_src, query_src = split_sources(sources, held_fraction, rng)
    signal = tile_history(history_src, n_channels, n_samples, rng)
    windows, channel, start = cut_windows(signal, window, step)
    label = f"{kind}: {n_channels} ch x {seconds:g} s at {spec['rate']:g} Hz, windows {window}, step {step}"
    return Dataset(kind, spec["rate"], window, step, signal, windows, channel, start,
                   query_windows(query_src, n_queries, window, rng), label,
                   {"history": len(history_src), "queries": len(query_src)})


def hash_stream_signal(kind: str = "neuralink", seconds: float = 2.0, data_dir: Path = DATA,
                       max_files: int = 4) -> tuple[np.ndarray, float]:
    """``(n_channels, n_samples)`` of real consecutive signal (not tiled) for hash-stream tests."""
    sources = SOURCES[kind](data_dir, max_files=max_files)
    n = min(min(s.size for s in sources), int(seconds * KINDS[kind]["rate"]))
    return np.stack([s[:n] for s in sources]), KINDS[kind]["rate"]


if __name__ == "__main__":
    for name in KINDS:
        ds = make_dataset(name, seconds=60, n_channels=8, n_queries=3)
        print(f"{ds.label}: {ds.windows.shape[0]} windows, queries {ds.queries.shape}, sources {ds.sources}")
