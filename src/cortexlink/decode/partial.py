"""Linear decisions split across sites: each site computes its share, a leader sums the shares.

A feature stream laid out ``[crossings; power]`` over ``n_sites`` equal arrays gives each site the
rows of its own electrodes (``site_rows``). A site's share of a linear decoder fitted on its own
features is its prediction divided by the number of sites (``site_share``); the sum of the shares
(``sum_shares``) is the average of the sites' linear decoders: itself one linear decoder over all
features, ``sum_s (W_s x_s + b_s) / K``, computed without moving a feature between sites. Only
the shares (two numbers per site and bin) travel, as in Hull's hierarchical SVM (Fig. 6).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cortexlink.core.errors import InvalidParameterError

__all__ = ["site_channels", "site_rows", "site_share", "sum_shares"]


def site_channels(n_channels: int, site: int, n_sites: int) -> slice:
    """``site``'s electrodes in a stream of ``n_sites`` equal arrays."""
    if n_sites < 1 or not 0 <= site < n_sites:
        raise InvalidParameterError(f"site must be in 0..{n_sites - 1}, got {site}")
    if n_channels % n_sites:
        raise InvalidParameterError(
            f"{n_channels} channels do not split into {n_sites} equal sites; "
            f"give n_sites the number of arrays"
        )
    per = n_channels // n_sites
    return slice(site * per, (site + 1) * per)


def site_rows(n_rows: int, site: int, n_sites: int) -> np.ndarray:
    """Row indices of ``site``'s electrodes in a ``[crossings; power]`` feature matrix."""
    if n_sites < 1 or not 0 <= site < n_sites:
        raise InvalidParameterError(f"site must be in 0..{n_sites - 1}, got {site}")
    if n_rows % (2 * n_sites):
        raise InvalidParameterError(
            f"{n_rows} feature rows do not split into crossings and power of "
            f"{n_sites} equal sites; give n_sites the number of arrays"
        )
    per = n_rows // (2 * n_sites)
    own = np.arange(site * per, (site + 1) * per)
    return np.concatenate([own, own + n_rows // 2])


def site_share(prediction: np.ndarray, n_sites: int) -> np.ndarray:
    """A site's share of the joint decision: its own linear prediction over ``n_sites``."""
    return np.asarray(prediction, dtype=np.float64) / float(n_sites)


def sum_shares(shares: Sequence[np.ndarray]) -> np.ndarray:
    """The joint decision: the sum of every site's share (same shape each)."""
    if not shares:
        raise InvalidParameterError("sum_shares needs at least one site's share")
    return np.sum(np.stack([np.asarray(s, dtype=np.float64) for s in shares]), axis=0)
