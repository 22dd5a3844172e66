"""``QueryResult``: the windows a query returned, with their site, time and channel coordinates.

Each row is one matching (site, t): ``t_ms`` (relative to the query's now), ``sample`` (on the
site's own sample clock), ``channels`` that satisfied ``where``, and one value per selected
reference: ``data`` as int16 ``(channels, samples)`` (times ``gain_uv`` for uV), ``hashes`` as
``(channels, windows, tables)`` codes, ``events`` as a list of records. ``to_npz`` writes it all,
``table`` summarises it, ``plot`` draws the data windows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.query.ast import Query


@dataclass
class Row:
    site: str
    t_ms: float
    sample: int
    channels: np.ndarray
    values: list[Any]
    starts: list[int]


@dataclass
class QueryResult:
    query: Query
    refs: list[str]
    rows: list[Row] = field(default_factory=list)
    sites: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # site -> sample_rate, gain_uv, channel_ids
    plan: Any = field(default=None, repr=False)  # the planner's Plan
    execution: str = ""  # how it ran (local threads or a Dask address)

    @property
    def plan_text(self) -> str:
        """The plan in words (what ``explain`` prints), made on demand."""
        return self.plan.explain(self.execution) if self.plan is not None else ""

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def data(self, ref: int = 0) -> list[np.ndarray]:
        """The values of select reference ``ref`` of every row."""
        return [r.values[ref] for r in self.rows]

    def nbytes(self) -> int:
        return sum(v.nbytes for r in self.rows for v in r.values if isinstance(v, np.ndarray))

    def table(self) -> list[tuple[str, int, float, float, int]]:
        """Per site: (site, rows, first t, last t, selected bytes)."""
        out = []
        for site in self.sites:
            rows = [r for r in self.rows if r.site == site]
            if rows:
                out.append(
                    (
                        site,
                        len(rows),
                        min(r.t_ms for r in rows),
                        max(r.t_ms for r in rows),
                        sum(v.nbytes for r in rows for v in r.values if isinstance(v, np.ndarray)),
                    )
                )
        return out

    def to_npz(self, path: str | os.PathLike) -> Path:
        """Write the rows: coordinate arrays ``site``, ``t_ms``, ``sample``, ``channels`` (a bool mask
        per row over its site's channels), and per row and reference ``r<i>_v<j>`` (+ ``_start``);
        events as JSON text. No pickled objects."""
        arrays: dict[str, np.ndarray] = {
            "query": np.array(self.query_text()),
            "refs": np.array(self.refs, dtype=str),
            "site": np.array([r.site for r in self.rows], dtype=str),
            "t_ms": np.array([r.t_ms for r in self.rows], np.float64),
            "sample": np.array([r.sample for r in self.rows], np.int64),
            "sites_json": np.array(json.dumps(self.sites)),
        }
        width = max((len(self.sites[r.site]["channel_ids"]) for r in self.rows), default=0)
        mask = np.zeros((len(self.rows), width), bool)
        for i, r in enumerate(self.rows):
            mask[i, r.channels] = True
            for j, v in enumerate(r.values):
                key = f"r{i}_v{j}"
                arrays[key] = v if isinstance(v, np.ndarray) else np.array(json.dumps(v))
                arrays[key + "_start"] = np.array(r.starts[j], np.int64)
        arrays["channels"] = mask
        target = Path(path)
        np.savez_compressed(target, **arrays)
        return target

    def query_text(self) -> str:
        from cortexlink.query.parser import unparse

        return unparse(self.query)

    def plot(self, path: str | os.PathLike, max_windows: int = 12) -> Path:
        """A PNG of the first ``max_windows`` data windows (channels stacked, uV)."""
        from cortexlink.core.optional import pyplot

        plt = pyplot()
        j = next((k for k, r in enumerate(self.query.select) if r.source == "data"), None)
        rows = self.rows[:max_windows] if j is not None else []
        fig, axes = plt.subplots(max(1, len(rows)), 1, figsize=(9, 1.6 * max(1, len(rows))), squeeze=False)
        for ax, r in zip(axes[:, 0], rows, strict=False):
            info = self.sites[r.site]
            x = r.values[j].astype(np.float64) * info["gain_uv"]
            t = (np.arange(x.shape[1]) + r.starts[j] - r.sample) / info["sample_rate"] * 1e3 + r.t_ms
            spread = 4 * (np.std(x) or 1.0)
            for k in range(x.shape[0]):
                ax.plot(t, x[k] + k * spread, lw=0.5)
            ax.set_ylabel(r.site, fontsize=8)
            ax.set_yticks([])
        axes[-1, 0].set_xlabel("time relative to now (ms)")
        fig.suptitle(self.query_text()[:120], fontsize=8)
        fig.tight_layout()
        target = Path(path)
        fig.savefig(target, dpi=100)
        plt.close(fig)
        return target


def build(query: Query, site_rows: list[Any], plan: Any = None, execution: str = "") -> QueryResult:
    """Merge per-store answers: rows ordered by t, then by the order of ``from``; ``limit`` applied."""
    from cortexlink.query.planner import unparse_ref

    res = QueryResult(query, [unparse_ref(r) for r in query.select], plan=plan, execution=execution)
    order = {sr.site: i for i, sr in enumerate(site_rows)}
    for sr in site_rows:
        res.sites[sr.site] = {
            "sample_rate": sr.sample_rate,
            "gain_uv": sr.gain_uv,
            "channel_ids": sr.channel_ids,
        }
        res.rows += [
            Row(sr.site, t, s, m, v, a)
            for t, s, m, v, a in zip(sr.t_ms, sr.samples, sr.matched, sr.values, sr.starts, strict=True)
        ]
    res.rows.sort(key=lambda r: (r.t_ms, order[r.site]))
    if query.limit is not None:
        res.rows = res.rows[: query.limit]
    return res
