"""Per-site, per-channel chunked storage of raw signal (our codec), hash streams and events.

One store per site, a zarr group (version-2 format, which zarr 2 and 3 both read) in which a chunk
holds one channel's samples for one time span, so reading one channel over a time range touches
only its chunks; optional score streams keep a detector's value of every window (``scores``).
``StoreWriter`` appends and commits crash-safely with retention budgets;
``SiteStore`` reads a consistent prefix, also while a writer appends; ``export_store`` writes
NPZ/NWB. Layout and format version: ``cortexlink.store.layout``.
"""

from cortexlink.store.export import (
    RecordedStream,
    export_store,
    read_recording_folder,
    read_stream,
    store_summaries,
)
from cortexlink.store.layout import FORMAT_VERSION
from cortexlink.store.reader import SiteStore, find_stores, open_store
from cortexlink.store.retention import Retention
from cortexlink.store.writer import StoreWriter

__all__ = [
    "FORMAT_VERSION",
    "RecordedStream",
    "Retention",
    "SiteStore",
    "StoreWriter",
    "export_store",
    "find_stores",
    "open_store",
    "read_recording_folder",
    "read_stream",
    "store_summaries",
]
