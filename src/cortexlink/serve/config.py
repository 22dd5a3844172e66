"""What a server is given: where its tokens, audit log, models and recordings are, its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cortexlink.core.errors import InvalidParameterError

__all__ = ["ServeConfig"]

MiB = 1 << 20


@dataclass
class ServeConfig:
    """Everything ``create_app`` needs; paths default to folders under ``data_dir``.

    ``encrypt`` stores uploaded models encrypted (AES-GCM) with the key from ``key_file`` or
    ``$CORTEXLINK_KEY``; encrypted recordings are served decrypted with the same key.
    ``node_kinds`` adds node kinds (``{"kind": "module:Class"}``) that graphs may name;
    ``audit_fsync`` forces each audit entry to disk before the next (see ``AuditLog``);
    ``allow_modules`` lets a posted graph load node classes from files (``module:``), which runs
    their code: off by default. ``path_roots``: the folders a posted graph's path settings (a
    recorder's output, a decoder's model file, ...) may name, default ``data_dir``; a relative
    path in a posted graph is relative to ``data_dir``. ``api_nice``: how much lower the CPU
    priority of the API's own threads (requests, WebSocket fan-out) is than that of the graphs it
    runs, so a busy dashboard waits for the CPU rather than the graph (Linux; 0 turns it off).
    """

    tokens: Path
    data_dir: Path = Path("cortexlink-serve")
    audit_log: Path | None = None
    models_dir: Path | None = None
    recordings_dir: Path | None = None
    stores_dir: Path | None = None
    graphs_dir: Path | None = None
    encrypt: bool = False
    key_file: Path | None = None
    max_body: int = 1 * MiB  # JSON requests
    max_upload: int = 64 * MiB  # model uploads
    max_download: int = 256 * MiB  # one response of a recording
    max_graphs: int = 2  # graphs running at once
    audit_fsync: bool = False  # force every audit entry to disk (a flush per request)
    node_kinds: dict[str, str] = field(default_factory=dict)
    allow_modules: bool = False
    path_roots: list[Path] = field(default_factory=list)
    api_nice: int = 5  # the API's threads run this much nicer than the graphs it starts (0: same)

    def __post_init__(self) -> None:
        self.tokens = Path(self.tokens)
        self.data_dir = Path(self.data_dir)
        self.audit_log = Path(self.audit_log) if self.audit_log else self.data_dir / "audit.jsonl"
        self.models_dir = Path(self.models_dir) if self.models_dir else self.data_dir / "models"
        self.recordings_dir = (
            Path(self.recordings_dir) if self.recordings_dir else self.data_dir / "recordings"
        )
        self.stores_dir = Path(self.stores_dir) if self.stores_dir else self.data_dir / "stores"
        self.path_roots = [Path(p) for p in self.path_roots] or [self.data_dir]
        if not 0 <= int(self.api_nice) <= 19:
            raise InvalidParameterError(f"api_nice is 0-19, got {self.api_nice}")
        for name in ("max_body", "max_upload", "max_download", "max_graphs"):
            if int(getattr(self, name)) < 1:
                raise InvalidParameterError(f"{name} must be at least 1, got {getattr(self, name)}")

    def make_dirs(self) -> None:
        for folder in (self.data_dir, self.models_dir, self.recordings_dir, self.stores_dir):
            folder.mkdir(parents=True, exist_ok=True)
