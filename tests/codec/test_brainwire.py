"""The brainwire drop-in: same calls as the brainwire package, but the samples come back exactly."""

import numpy as np
from scipy.io import wavfile

from cortexlink.codec import brainwire
from cortexlink.codec.api import decompress_wav_bytes
from cortexlink.io.wav import write_wav


def test_compress_file_then_decompress_gives_wavfile_read_output(data_dir):
    path = sorted((data_dir / "neuralink").glob("*.wav"))[3]
    packed = brainwire.compress(str(path))
    assert isinstance(packed, bytes) and len(packed) < path.stat().st_size / 2
    rate, samples = brainwire.decompress(packed)
    want_rate, want = wavfile.read(path)
    assert rate == want_rate and isinstance(rate, int)
    assert samples.dtype == want.dtype == np.int16 and samples.shape == want.shape
    np.testing.assert_array_equal(samples, want)
    assert decompress_wav_bytes(packed) == path.read_bytes()


def test_multichannel_file_comes_back_as_samples_by_channels(tmp_path):
    data = np.arange(-1500, 1500, dtype=np.int16).reshape(3, 1000)
    path = tmp_path / "three.wav"
    write_wav(path, data, 8000)
    rate, samples = brainwire.decompress(brainwire.compress(path, level="fast"))
    want_rate, want = wavfile.read(path)
    assert rate == want_rate == 8000 and samples.shape == (1000, 3)
    np.testing.assert_array_equal(samples, want)
