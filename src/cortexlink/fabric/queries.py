"""Interactive query rate (Hull VI-E): how long a select-project query over the last
``history_ms`` of every implant takes, and so how many queries per second the system answers.

The selected signal is read from NVM (one SC read of ``latency_ms`` per 4 KB page, implants in
parallel) and sent over the external radio; the implants take turns on the external link, so
the transfer is the whole answer at the radio's rate. ``fraction`` (per task in the query app)
is the share of the data the query's condition keeps (Q3 keeps everything).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cortexlink.fabric.apps import App
from cortexlink.fabric.catalog import Catalog

__all__ = ["QueryRate", "query_rates"]


@dataclass(frozen=True)
class QueryRate:
    task: str
    answer_bytes: float
    read_s: float
    send_s: float

    @property
    def latency_s(self) -> float:
        return self.read_s + self.send_s

    @property
    def qps(self) -> float:
        return 1.0 / self.latency_s if self.latency_s > 0 else math.inf


def query_rates(
    app: App, catalog: Catalog, implants: int, history_ms: float | None = None
) -> list[QueryRate]:
    """One ``QueryRate`` per task of ``app`` whose variant sends over the external radio."""
    history = app.history_ms if history_ms is None else history_ms
    imp = catalog["implant"]
    per_implant = catalog.electrodes * imp["sample_rate_hz"] * history / 1e3 * imp["sample_bits"] / 8
    pages = math.ceil(per_implant / catalog["nvm"]["page_bytes"])
    read_s = pages * catalog.pe("SC").latency_ms / 1e3
    rate = catalog["radio_external"]["rate_mbps"] * 1e6 / 8
    out = []
    for task in app.tasks:
        if not any(v.send is not None and v.send.pattern == "external" for v in task.variants):
            continue
        answer = per_implant * implants * task.fraction
        out.append(QueryRate(task.name, answer, read_s, answer / rate))
    return out
