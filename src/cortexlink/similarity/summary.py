"""PAA summaries of windows, and the ranked hash look-up that re-ranks a shortlist with them.

The p-stable DTW hash estimates the L2 distance between window envelopes, which ranks DTW
neighbours only roughly: on Bonn, Dog_1 and Neuralink windows it kept 0.70-0.94 of the true DTW
top 10 in its best 5%. DTW between piecewise aggregate approximations (PAA: the mean of every
``factor`` samples of the z-normalised window, the band divided by ``factor`` too) ranks them far
better, at about ``1 / factor**2`` of a DTW's cost. So a DTW family can keep a PAA summary of every
window beside its codes (``HashFamily.summary_size``, stored by ``HashIndex``), and a ranked look-up
(``rank_candidates``) takes the family's ``shortlist`` share of the windows, best by hash score,
then the best of those by DTW between summaries (float32, many windows at a time:
``measures.dtw_sq_lanes``). The hash prunes, the summary ranks; only the final few reach the exact
measure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.similarity._checks import as_window, check_int
from cortexlink.similarity.measures import DTW_LANES, dtw_sq_lanes

if TYPE_CHECKING:
    from cortexlink.similarity.hashes import HashFamily
    from cortexlink.similarity.index import Candidates, HashIndex

__all__ = ["paa_band", "rank_candidates"]


def paa_band(band: int, factor: int) -> int:
    """The Sakoe-Chiba band at PAA resolution: ``band / factor`` rounded up (at least 1)."""
    return max(1, math.ceil(band / factor))


def rank_candidates(index: HashIndex, family: HashFamily, query: np.ndarray, n_keep: int,
                    min_votes: int = 1, band: int | None = None) -> Candidates:
    """The ``n_keep`` stored windows that rank best for ``query``, looked up with ``family``.

    Windows are scored by the family's look-up (``family.lookup`` and ``HashIndex.query``). A family
    with PAA summaries then re-ranks its ``shortlist`` share of the stored windows, best by score,
    by DTW between summaries (``band``: the DTW band in samples; default the family's own), and the
    scores of the windows returned are minus those distances.
    """
    query = as_window(query, "query")
    n_keep = check_int(n_keep, "n_keep (candidates kept)", 1)
    lookup = family.lookup(query)
    found = index.query(lookup.codes, min_votes, lookup.weights, lookup.floor)
    if not family.summary_size or len(found) <= n_keep:
        return found.best(n_keep)
    if index.summary_size != family.summary_size:
        raise InvalidParameterError(
            f"this {family.measure} family ranks by summaries of {family.summary_size} values, the index "
            f"keeps {index.summary_size}; build it with summary_size=family.summary_size and add "
            "family.summarise(windows), or use a family with paa=0")
    short = found.best(max(n_keep, int(family.shortlist * len(index))), ordered=False)
    band = family.summary_band if band is None else paa_band(band, family.paa)
    summary = family.summarise(query[None, :])[0]
    sq = np.empty(len(short), dtype=np.float32)
    dtw_sq_lanes(summary, index.summary_rows, short.slots, band, DTW_LANES, sq)
    rows = np.argpartition(sq, n_keep - 1)[:n_keep]
    rows = rows[np.lexsort((rows, sq[rows]))]   # nearest first; ties: the earlier slot
    return short.take(rows, scores=-np.sqrt(sq[rows].astype(np.float64)))
