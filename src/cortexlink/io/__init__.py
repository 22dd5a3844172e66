"""Read and write recordings: WAV, NPZ, NWB, raw binary; EDF and text are read only.

``open_recording(path)`` and ``save_recording(recording, path)`` pick the format from the
extension (or the file's first bytes); the per-format functions are here too.
"""

from cortexlink.io.edf import load_edf
from cortexlink.io.formats import (
    EXTENSIONS,
    READERS,
    WRITERS,
    format_of,
    open_recording,
    readback_options,
    save_recording,
)
from cortexlink.io.npz import load_npz, save_npz
from cortexlink.io.nwb import load_nwb, save_nwb
from cortexlink.io.raw import load_raw, save_raw
from cortexlink.io.text import load_text
from cortexlink.io.wav import (
    WavContents,
    load_wav,
    parse_wav,
    quantise_to_int16,
    read_wav,
    save_wav,
    wav_bytes,
    write_wav,
)

__all__ = [
    "EXTENSIONS", "READERS", "WRITERS", "WavContents", "format_of", "load_edf", "load_npz", "load_nwb",
    "load_raw", "load_text", "load_wav", "open_recording", "parse_wav", "quantise_to_int16", "read_wav",
    "readback_options", "save_npz", "save_nwb", "save_raw", "save_recording", "save_wav", "wav_bytes",
    "write_wav",
]
