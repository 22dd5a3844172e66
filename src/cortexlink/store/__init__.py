"""Per-site, per-channel storage of what a live graph records.

``segments``: the crash-safe segment log the ``recorder`` node writes (one folder per stream,
one atomically committed NPZ per flushed segment) and reads back.
"""

from cortexlink.store.segments import RecordedStream, SegmentLogWriter, export_stream, read_segment_log

__all__ = ["RecordedStream", "SegmentLogWriter", "export_stream", "read_segment_log"]
