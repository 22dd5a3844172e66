"""The compression challenge's executables: ``./encode IN.wav OUT`` and ``./decode IN OUT.wav``.

Both scripts at the repository root call ``run``, which reports bad input as one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from cortexlink.codec.api import compress_wav_file, decompress_wav_bytes
from cortexlink.core.errors import CortexlinkError
from cortexlink.core.paths import existing_file, writable_target

USAGE = {"encode": "./encode IN.wav OUT", "decode": "./decode IN OUT.wav"}


def run(command: str, argv: Sequence[str]) -> int | str:
    """Run ``encode`` or ``decode`` on ``[IN, OUT]``: 0, or the one-line message to exit with."""
    if len(argv) != 2:
        return f"usage: {USAGE[command]}"
    source, target = argv
    try:
        if command == "encode":
            data = compress_wav_file(existing_file(source))
        else:
            data = decompress_wav_bytes(existing_file(source).read_bytes())
        writable_target(target).write_bytes(data)
    except (CortexlinkError, OSError) as exc:
        return f"{command}: {exc}"
    return 0
