"""Lossless neural codec: compress int16 recordings and WAV files, restore them exactly."""

from cortexlink.codec.api import (
                                  CompressedReader,
                                  compress,
                                  compress_wav_bytes,
                                  compress_wav_file,
                                  decompress,
                                  decompress_wav_bytes,
)
from cortexlink.codec.levels import DEFAULT_LEVEL, LEVELS, check_level

__all__ = ["DEFAULT_LEVEL", "LEVELS", "CompressedReader", "check_level", "compress", "compress_wav_bytes",
           "compress_wav_file", "decompress", "decompress_wav_bytes"]
