"""The Neuralink compression challenge's scoring, applied to a folder of WAV files.

Every file is compressed, decompressed and compared byte for byte with the original; the ratio is
the total size of the originals over the total compressed size plus the size of the program, here
the source files that ``./encode`` and ``./decode`` load (see ``program_files``). A file that
cannot be read or compressed is listed with its reason and the others are still scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from cortexlink.codec.api import CompressedReader, compress_wav_bytes, decompress_wav_bytes
from cortexlink.codec.levels import DEFAULT_LEVEL
from cortexlink.core.errors import CortexlinkError, InvalidParameterError
from cortexlink.core.optional import pyplot
from cortexlink.core.paths import existing_folder, one_line
from cortexlink.core.progress import progress

CODEC_DIR = Path(__file__).resolve().parent
REPO_ROOT = CODEC_DIR.parents[2]
# codec modules that only other front ends load; everything else in codec/ is part of the program
NOT_PROGRAM = frozenset({"stream.py", "numcodecs_codec.py", "brainwire.py", "evaluate.py", "files.py"})


def program_files() -> list[Path]:
    """Source files the encoder and decoder need: the codec's modules (engine, container, api),
    the WAV reader, and the ``encode``/``decode`` executables where this is a source checkout."""
    files = sorted(p for p in CODEC_DIR.rglob("*.py") if p.name not in NOT_PROGRAM)
    files.append(CODEC_DIR.parent / "io" / "wav.py")
    files += [p for p in (REPO_ROOT / "encode", REPO_ROOT / "decode") if p.is_file()]
    return files


def program_size() -> int:
    """Bytes of ``program_files()``, as they are on disk now."""
    return sum(p.stat().st_size for p in program_files())


@dataclass
class FileScore:
    """The outcome for one file: sizes, timings, and whether it came back byte for byte."""

    name: str
    original_bytes: int
    compressed_bytes: int
    n_samples: int
    encode_s: float
    decode_s: float
    exact: bool

    @property
    def ratio(self) -> float:
        return self.original_bytes / max(1, self.compressed_bytes)


@dataclass
class FileFailure:
    """A file that could not be scored, and why."""

    name: str
    reason: str


@dataclass
class Score:
    """The challenge score of a folder at one level, with throughput in M samples/s; the sums
    cover the scored ``files``, and ``failures`` lists the files that could not be scored."""

    level: str
    program_bytes: int
    files: list[FileScore] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def original_bytes(self) -> int:
        return sum(f.original_bytes for f in self.files)

    @property
    def compressed_bytes(self) -> int:
        return sum(f.compressed_bytes for f in self.files)

    @property
    def ratio(self) -> float:
        """Total original bytes / (total compressed bytes + program bytes): the challenge's figure."""
        return self.original_bytes / max(1, self.compressed_bytes + self.program_bytes)

    @property
    def all_exact(self) -> bool:
        return all(f.exact for f in self.files)

    @property
    def ok(self) -> bool:
        """Every file was scored and came back byte for byte."""
        return self.all_exact and not self.failures

    @property
    def n_samples(self) -> int:
        return sum(f.n_samples for f in self.files)

    @property
    def encode_msps(self) -> float:
        return self.n_samples / max(1e-12, sum(f.encode_s for f in self.files)) / 1e6

    @property
    def decode_msps(self) -> float:
        return self.n_samples / max(1e-12, sum(f.decode_s for f in self.files)) / 1e6


def score_file(path: Path, level: str) -> FileScore:
    """Compress and decompress one WAV file, timing both and comparing the result byte for byte."""
    raw = path.read_bytes()
    t0 = time.perf_counter()
    packed = compress_wav_bytes(raw, level)
    t1 = time.perf_counter()
    restored = decompress_wav_bytes(packed)
    t2 = time.perf_counter()
    h = CompressedReader(packed).header
    return FileScore(path.name, len(raw), len(packed), h.n_channels * h.n_samples, t1 - t0, t2 - t1,
                     restored == raw)


def evaluate_dir(directory: str | Path, level: str = DEFAULT_LEVEL, show_progress: bool = True) -> Score:
    """Score every ``*.wav`` file in ``directory``; the first readable one is run once untimed to
    warm up the JIT. Files that fail go to ``Score.failures`` with their reason."""
    paths = sorted(existing_folder(directory).glob("*.wav"))
    if not paths:
        raise InvalidParameterError(f"{directory} holds no .wav files; give a folder of WAV files")
    for path in paths:
        if not isinstance(_try_score(path, level), FileFailure):
            break
    score = Score(level, program_size())
    for path in progress(paths, len(paths), f"codec {level}", enabled=show_progress):
        outcome = _try_score(path, level)
        (score.failures if isinstance(outcome, FileFailure) else score.files).append(outcome)
    return score


def _try_score(path: Path, level: str) -> FileScore | FileFailure:
    try:
        return score_file(path, level)
    except (CortexlinkError, OSError) as exc:
        return FileFailure(path.name, one_line(exc))


def ratio_figure(score: Score):
    """A histogram of per-file compression ratios (a matplotlib Figure), files counted on y."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([f.ratio for f in score.files], bins=30, color="tab:blue", edgecolor="white")
    ax.axvline(score.ratio, color="tab:red", label=f"overall (with program) {score.ratio:.4f}")
    ax.set_xlabel("compression ratio per file (original / compressed)")
    ax.set_ylabel("files")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of files are whole numbers
    ax.set_title(f"cortexlink {score.level}: {len(score.files)} files")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_ratios(score: Score, path: str | Path) -> None:
    """Save ``ratio_figure`` as a PNG."""
    fig = ratio_figure(score)
    fig.savefig(path, dpi=120)
    pyplot().close(fig)
