"""Lossless neural codec: compress int16 recordings and WAV files, restore them exactly."""

from cortexlink.codec.api import (
                                  LEVELS,
                                  CompressedReader,
                                  compress,
                                  compress_wav_bytes,
                                  compress_wav_file,
                                  decompress,
                                  decompress_wav_bytes,
)

__all__ = ["LEVELS", "CompressedReader", "compress", "compress_wav_bytes", "compress_wav_file",
           "decompress", "decompress_wav_bytes"]
