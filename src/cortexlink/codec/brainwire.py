"""Drop-in for users of the ``brainwire`` package: same two calls, but lossless.

``compress(file_path)`` takes a WAV file and returns bytes; ``decompress(data)`` returns
``(sample_rate, samples)`` shaped as ``scipy.io.wavfile.read`` gives them: 1-D for one channel,
``(n_samples, n_channels)`` otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.codec.api import CompressedReader, compress_wav_file
from cortexlink.codec.levels import DEFAULT_LEVEL


def compress(file_path: str | Path, level: str = DEFAULT_LEVEL) -> bytes:
    """Compress a WAV file losslessly (its bytes can be restored exactly with ``decompress_wav_bytes``)."""
    return compress_wav_file(file_path, level)


def decompress(data: bytes) -> tuple[int | float, np.ndarray]:
    """The sample rate and int16 samples of compressed ``data``, laid out like ``wavfile.read``."""
    reader = CompressedReader(data)
    samples = reader.read()
    rate = reader.sample_rate
    rate = int(rate) if float(rate).is_integer() else rate
    return rate, (samples[0].copy() if reader.n_channels == 1 else np.ascontiguousarray(samples.T))
