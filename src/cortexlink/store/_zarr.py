"""Everything that depends on the installed zarr version, in one place.

A store is always written in zarr's version-2 on-disk format, which zarr 2 and zarr 3 both read
and write, so chunk keys (``"<channel>.<chunk>"``) and metadata files (``.zgroup``, ``.zarray``,
``.zattrs``) are the same whichever zarr made them. Only creating the group and its arrays goes
through zarr's API, which changed between versions; the writer patches ``.zarray`` shapes itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cortexlink.core.optional import require


def zarr_major() -> int:
    zarr = require("zarr", "zarr", "the store")
    return int(zarr.__version__.split(".")[0])


def create_arrays(path: Path, attrs: dict[str, Any], arrays: dict[str, dict[str, Any]]) -> None:
    """Create a version-2-format group at ``path`` with ``attrs`` and one array per entry of
    ``arrays`` (``shape``, ``chunks``, ``dtype``, ``compressor`` a numcodecs codec or None)."""
    zarr = require("zarr", "zarr", "the store")
    if zarr_major() >= 3:
        group = zarr.open_group(str(path), mode="w-", zarr_format=2)
        for name, spec in arrays.items():
            group.create_array(
                name,
                shape=spec["shape"],
                chunks=spec["chunks"],
                dtype=spec["dtype"],
                compressors=spec["compressor"],
                fill_value=0,
                chunk_key_encoding={"name": "v2", "separator": "."},
            )
    else:
        group = zarr.open_group(str(path), mode="w-")
        for name, spec in arrays.items():
            group.create_dataset(
                name,
                shape=spec["shape"],
                chunks=spec["chunks"],
                dtype=spec["dtype"],
                compressor=spec["compressor"],
                fill_value=0,
                dimension_separator=".",
            )
    group.attrs.update(attrs)


def open_array(path: Path, name: str) -> Any:
    """A read-only zarr array of a store (for other tools' view of it, e.g. in tests)."""
    zarr = require("zarr", "zarr", "the store")
    if zarr_major() >= 3:
        return zarr.open_array(str(path / name), mode="r", zarr_format=2)
    return zarr.open_array(str(path / name), mode="r")
