"""The challenge's scoring script runs unchanged against ``./encode`` and ``./decode``.

The script runs in a scratch folder holding ``data.zip`` (a few of the shared challenge WAVs) and
links to the repository's executables, as a submission is scored. ``CHALLENGE_EVAL_SH`` may name
the challenge's own ``eval.sh``; otherwise ``challenge_eval.sh`` (the same steps) is used. A
``gfind`` on the PATH points at ``find``, for copies of the script that call GNU find by that name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEURALINK = ROOT.parent / "shared" / "data" / "neuralink"
SCRIPT = Path(os.environ.get("CHALLENGE_EVAL_SH", Path(__file__).with_name("challenge_eval.sh")))
N_FILES = 2  # each file starts two Python processes


@pytest.mark.slow
@pytest.mark.skipif(not all(shutil.which(t) for t in ("unzip", "bc", "diff")), reason="needs unzip, bc, diff")
def test_eval_script_passes_and_prints_the_ratio(tmp_path):
    wavs = sorted(NEURALINK.glob("*.wav"))[:N_FILES]
    assert len(wavs) == N_FILES, f"needs the shared challenge files in {NEURALINK}"
    with zipfile.ZipFile(tmp_path / "data.zip", "w") as archive:
        for wav in wavs:
            archive.write(wav, f"data/{wav.name}")
    for program in ("encode", "decode"):
        (tmp_path / program).symlink_to(ROOT / program)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gfind").symlink_to(shutil.which("find"))
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "All recordings successfully compressed." in done.stdout
    raw = int(re.search(r"Original size \(bytes\): (\d+)", done.stdout).group(1))
    assert raw == sum(w.stat().st_size for w in wavs)
    ratio = float(re.search(r"Compression ratio: ([\d.]+)", done.stdout).group(1))
    assert ratio > 1.0
    for wav in wavs:  # what diff compared is what was unzipped
        assert (tmp_path / "data" / f"{wav.name}.copy").read_bytes() == wav.read_bytes()
