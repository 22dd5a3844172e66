"""Challenge scoring: program size from the files themselves, byte-exact checks, the ratio formula."""

import shutil

import pytest

from cortexlink.codec import evaluate
from cortexlink.codec.evaluate import evaluate_dir, plot_ratios, program_files, program_size, ratio_figure
from cortexlink.core.errors import InvalidParameterError, RecordingNotFoundError


def test_program_is_the_encoder_and_decoder_sources():
    names = {p.name for p in program_files()}
    assert {"engine.py", "container.py", "api.py", "__init__.py", "wav.py", "encode", "decode"} <= names
    assert not names & {"stream.py", "numcodecs_codec.py", "brainwire.py", "evaluate.py", "codec.py"}
    assert all(p.is_file() for p in program_files())
    assert program_size() == sum(len(p.read_bytes()) for p in program_files())


def test_program_size_follows_the_files(tmp_path, monkeypatch):
    codec_dir = tmp_path / "src" / "cortexlink" / "codec"
    (tmp_path / "src" / "cortexlink" / "io").mkdir(parents=True)
    codec_dir.mkdir()
    (codec_dir / "engine.py").write_bytes(b"x" * 100)
    (codec_dir / "stream.py").write_bytes(b"x" * 1000)  # not part of the program
    (tmp_path / "src" / "cortexlink" / "io" / "wav.py").write_bytes(b"x" * 10)
    (tmp_path / "encode").write_bytes(b"x" * 3)
    monkeypatch.setattr(evaluate, "CODEC_DIR", codec_dir)
    monkeypatch.setattr(evaluate, "REPO_ROOT", tmp_path)
    assert program_size() == 113


@pytest.fixture(scope="module")
def folder(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("wavs")
    for path in sorted((data_dir / "neuralink").glob("*.wav"))[:4]:
        shutil.copy(path, out / path.name)
    return out


def test_scores_a_folder_the_challenge_way(folder, tmp_path):
    score = evaluate_dir(folder, "fast", show_progress=False)
    sizes = [p.stat().st_size for p in sorted(folder.glob("*.wav"))]
    assert [f.original_bytes for f in score.files] == sizes
    assert score.all_exact and len(score.files) == 4
    assert score.program_bytes == program_size()
    assert score.ratio == pytest.approx(sum(sizes) / (score.compressed_bytes + score.program_bytes))
    assert score.n_samples == sum((s - 44) // 2 for s in sizes)
    assert score.encode_msps > 0 and score.decode_msps > 0
    png = tmp_path / "ratios.png"
    plot_ratios(score, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_file_that_does_not_come_back_exactly_is_flagged(folder, monkeypatch):
    real = evaluate.decompress_wav_bytes
    monkeypatch.setattr(evaluate, "decompress_wav_bytes", lambda data: real(data) + b"x")
    score = evaluate_dir(folder, "fast", show_progress=False)
    assert not score.all_exact and not any(f.exact for f in score.files)


def test_a_folder_without_wav_files_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidParameterError, match="no .wav files"):
        evaluate_dir(tmp_path)


def test_unreadable_files_are_named_and_the_rest_still_scored(folder, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(folder, mixed)
    (mixed / "0-not-a-wav.wav").write_bytes(b"hello, not a WAV file")
    (mixed / "zz-folder.wav").mkdir()
    score = evaluate_dir(mixed, "fast", show_progress=False)
    assert len(score.files) == 4 and score.all_exact and not score.ok
    assert [f.name for f in score.failures] == ["0-not-a-wav.wav", "zz-folder.wav"]
    assert all(f.reason and "\n" not in f.reason for f in score.failures)


def test_a_missing_folder_is_not_called_empty(tmp_path):
    with pytest.raises(RecordingNotFoundError, match="no such folder"):
        evaluate_dir(tmp_path / "nowhere", "fast")
    with pytest.raises(InvalidParameterError, match="holds no .wav files"):
        evaluate_dir(tmp_path, "fast")


def test_the_histogram_counts_whole_files(folder):
    fig = ratio_figure(evaluate_dir(folder, "fast", show_progress=False))
    ticks = fig.axes[0].get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
