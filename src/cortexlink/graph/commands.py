"""BRAND's supervisor commands (``supervisor_ipstream`` field ``commands``), each answered on
``supervisor_status`` (``status``: ``ok`` or ``error``, ``command``, ``message``); the graph's own
state goes to ``graph_status``.

``CommandDesk`` holds what the answers need (the published supergraph, the data folder, an NWB
exporter) and handles the commands a running graph can take: ``stopGraph``,
``stopGraphAndSaveNWB``, ``updateParameters`` (republishes the supergraph), ``saveRdb``,
``saveNwb``, ``setDataDir``. ``loadGraph``, ``startGraph`` and ``flushDb`` need no graph running
(``nodes.brand_service`` takes them when idle); any other command is answered with an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cortexlink.graph.brand import GRAPH_STATUS, SUPERVISOR_STATUS

__all__ = ["CommandDesk", "Exporter", "COMMANDS"]

# names as BRAND spells them; matched without regard to case
COMMANDS = ("loadGraph", "startGraph", "updateParameters", "stopGraph", "stopGraphAndSaveNWB", "saveRdb",
            "saveNwb", "flushDb", "setDataDir")
_RESERVED_FIELDS = {"commands", "file", "graph", "path", "nickname", "parameters"}
# (Redis URL, stream names, data folder) -> files written
Exporter = Callable[[str, list[str], Path], list[str]]


class CommandDesk:
    """Answers supervisor commands on behalf of a supervisor (running or idle)."""

    def __init__(self, transport: Any, exporter: Exporter | None = None, data_dir: str | Path = ".") -> None:
        self.transport = transport
        self.exporter = exporter
        self.data_dir = Path(data_dir)
        self.supergraph: dict[str, Any] | None = None
        self.save_after_stop = False  # stopGraphAndSaveNWB: export once the nodes have stopped

    # -- replies -------------------------------------------------------------------------------------
    def reply(self, command: str, ok: bool, message: str = "") -> None:
        self.transport.post_status(SUPERVISOR_STATUS, {"status": "ok" if ok else "error", "command": command,
                                                       "message": message})

    def graph_status(self, status: str) -> None:
        self.transport.post_status(GRAPH_STATUS, {"status": status})

    def publish(self, supergraph: dict[str, Any]) -> None:
        self.supergraph = supergraph
        self.transport.publish_graph(supergraph, listen_from_now=False)

    # -- commands a running graph takes ------------------------------------------------------------
    def handle_running(self, entry: dict[str, str], stop: Callable[[str], None]) -> None:
        """Answer ``entry``; ``stop(reason)`` stops the graph."""
        name = canonical(entry.get("commands", ""))
        if name == "stopGraph":
            stop(f"'{entry['commands']}' received on supervisor_ipstream")
            self.reply(name, True, "stopping the graph")
        elif name == "stopGraphAndSaveNWB":
            self.transport.keep_streams = True
            self.save_after_stop = True
            stop(f"'{entry['commands']}' received on supervisor_ipstream")
            self.reply(name, True, "stopping; its streams are kept and exported to NWB once stopped")
        elif name in ("loadGraph", "startGraph", "flushDb"):
            self.reply(name, False, "a graph is running; send stopGraph first")
        else:
            self.handle_common(name, entry)

    def handle_common(self, name: str | None, entry: dict[str, str]) -> None:
        """Commands answered the same way whether a graph runs or not."""
        raw = entry.get("commands", "")
        if name == "updateParameters":
            self._update(entry)
        elif name == "saveRdb":
            self.reply(name, True, f"snapshot being written to {self.transport.save_snapshot()}")
        elif name == "saveNwb":
            self.save_nwb(name)
        elif name == "setDataDir":
            path = entry.get("path") or entry.get("file")
            if not path:
                self.reply(name, False, "setDataDir needs a 'path' field")
                return
            self.data_dir = Path(path)
            self.reply(name, True, f"data folder is {self.data_dir}")
        else:
            known = ", ".join(COMMANDS)
            self.reply(raw or "?", False, f"unknown command {raw!r}; the supervisor takes: {known}")

    def save_nwb(self, name: str = "saveNwb") -> list[str]:
        if self.exporter is None or self.supergraph is None:
            self.reply(name, False, "no NWB exporter or no graph published; run through cortexlink.nodes")
            return []
        streams = sorted(self.supergraph.get("streams", {}))
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            written = self.exporter(self.transport.address.get("url", ""), streams, self.data_dir)
        except Exception as exc:  # an export must answer, not take the supervisor down
            self.reply(name, False, f"{type(exc).__name__}: {exc}")
            return []
        self.reply(name, True, "wrote " + ", ".join(written))
        return written

    def _update(self, entry: dict[str, str]) -> None:
        name = "updateParameters"
        if self.supergraph is None:
            self.reply(name, False, "no graph is loaded; send loadGraph first")
            return
        try:
            updates = parameter_updates(entry)
        except ValueError as exc:
            self.reply(name, False, str(exc))
            return
        nodes = self.supergraph["nodes"]
        unknown = sorted(set(updates) - set(nodes))
        if unknown or not updates:
            self.reply(name, False, f"no node named {', '.join(unknown)}" if unknown else
                       "give '<nickname>': '{\"param\": value}' fields (or nickname and parameters)")
            return
        for nick, params in updates.items():
            nodes[nick]["parameters"].update(params)
        self.publish(self.supergraph)
        self.graph_status("parameters updated")
        self.reply(name, True, "updated " + ", ".join(sorted(updates)) + "; supergraph republished")


def canonical(command: str) -> str | None:
    """BRAND's spelling of ``command`` (any case), or None when it is not one."""
    lowered = command.strip().lower()
    if lowered == "stop":
        return "stopGraph"
    return next((c for c in COMMANDS if c.lower() == lowered), None)


def parameter_updates(entry: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``{nickname: {param: value}}`` from ``nickname``+``parameters`` fields or ``<nickname>`` fields."""
    pairs = [(entry["nickname"], entry.get("parameters", "{}"))] if "nickname" in entry else \
        [(k, v) for k, v in entry.items() if k not in _RESERVED_FIELDS]
    out: dict[str, dict[str, Any]] = {}
    for nick, text in pairs:
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(f"parameters of {nick!r} must be a JSON object, got {text[:80]!r}") from None
        if not isinstance(value, dict):
            raise ValueError(f"parameters of {nick!r} must be a JSON object, got {text[:80]!r}")
        out[nick] = value
    return out
