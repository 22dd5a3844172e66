"""Streaming: 1 ms chunks in, frames out; decoding the frames gives what the one-shot path gives."""

import numpy as np
import pytest

from cortexlink.codec.api import compress, decompress
from cortexlink.codec.levels import LEVELS
from cortexlink.codec.stream import Decoder, Encoder, read_stream
from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.io.wav import read_wav


def _signal(n_ch=16, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.integers(-40, 41, (n_ch, n)), axis=1).clip(-32768, 32767).astype(np.int16)


def _stream(data, chunk, level, rate=20000.0):
    enc = Encoder(data.shape[0], rate, level)
    frames = [enc.encode(data[:, a:a + chunk]) for a in range(0, data.shape[1], chunk)]
    return enc.header(), frames


@pytest.mark.parametrize("level", LEVELS)
def test_stream_of_1ms_chunks_decodes_to_the_one_shot_result(level):
    data = _signal()
    header, frames = _stream(data, 20, level)
    streamed = read_stream(header + b"".join(frames))
    one_shot = decompress(compress(Recording(data, 20000.0), level))
    np.testing.assert_array_equal(streamed.data, one_shot.data)
    np.testing.assert_array_equal(streamed.data, data)
    assert streamed.sample_rate == 20000.0


def test_frames_decode_one_by_one_in_order_and_chunking_does_not_matter():
    data = _signal(n_ch=4, n=3000, seed=1)
    enc = Encoder(4, 1000.0)
    dec, _ = Decoder.from_header(enc.header())
    edges = [0, 1, 1, 21, 500, 1777, 3000]  # includes an empty chunk
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        frame = enc.encode(Chunk(data[:, a:b], a, 1000.0))
        np.testing.assert_array_equal(dec.decode(frame), data[:, a:b])
    assert dec.samples_decoded == 3000


def test_real_files_stream_losslessly_as_channels_of_one_implant(data_dir):
    files = sorted((data_dir / "neuralink").glob("*.wav"))[:16]
    data = np.concatenate([read_wav(f).data[:, :10000] for f in files])
    header, frames = _stream(data, 20, "fast", 19531.0)  # 1 ms chunks of 16 electrodes
    np.testing.assert_array_equal(read_stream(header + b"".join(frames)).data, data)
    assert sum(map(len, frames)) < 0.4 * data.nbytes  # about 0.34 with 7 bytes of framing per chunk


def test_damaged_streams_raise_corrupt_data():
    data = _signal(n_ch=3, n=400, seed=2)
    header, frames = _stream(data, 100, "fast")
    stream = header + b"".join(frames)
    for k in range(len(header), len(stream)):  # every truncation past the header
        if k in np.cumsum([len(header)] + [len(f) for f in frames]):
            continue  # cut exactly between frames: a shorter but valid stream
        with pytest.raises(CorruptDataError):
            read_stream(stream[:k])
    rng = np.random.default_rng(3)
    for bit in rng.choice(8 * len(stream), 200, replace=False):
        bad = bytearray(stream)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(CorruptDataError):
            read_stream(bytes(bad))
    with pytest.raises(CorruptDataError, match="magic"):
        read_stream(b"CXL" + stream[3:])
    dec, _ = Decoder.from_header(header)
    with pytest.raises(CorruptDataError, match="after its payload"):
        dec.decode(frames[0] + b"\x00")


def test_bad_chunks_and_parameters_are_clear_errors():
    enc = Encoder(2, 1000.0)
    with pytest.raises(InvalidDataError, match="int16"):
        enc.encode(np.zeros((3, 10), np.int16))
    with pytest.raises(InvalidDataError, match="int16"):
        enc.encode(np.zeros((2, 10), np.float32))
    with pytest.raises(InvalidParameterError, match="level"):
        Encoder(2, 1000.0, "best")
    with pytest.raises(InvalidParameterError):
        Encoder(0, 1000.0)
