"""``cortexlink query "TEXT" --store DIR...``: run a select-project query over site stores."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "query",
        help="query site stores: from SITES select data[CH][T0:T1] where ...",
        description="Run a query over the stores recorders wrote, e.g. "
        "'from * select data[:][t-100:t+100] where seizure_detect(data[:][t-120:t]) and "
        "t >= -5000 and t <= 0' (times in ms relative to the newest sample). Prints a table "
        "per site; --out writes the windows as NPZ.",
    )
    p.add_argument("text", metavar="TEXT", help="the query")
    p.add_argument(
        "--store",
        type=Path,
        nargs="+",
        required=True,
        metavar="DIR",
        help="store folders, or folders of stores (a recording folder)",
    )
    p.add_argument("--explain", action="store_true", help="print the plan, and do not run the query")
    p.add_argument("--dask", metavar="ADDR", help="run on a Dask cluster (tcp://HOST:8786)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the returned windows as NPZ")
    p.add_argument("--plot", type=Path, metavar="PNG", help="plot the first returned data windows")
    p.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="NAME=FILE.npy",
        help="a template for similar(..., NAME, ...) (repeatable)",
    )
    p.set_defaults(func=run_query)


def _params(items: list[str]) -> dict:
    from cortexlink.core.errors import InvalidParameterError

    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name.isidentifier():
            raise InvalidParameterError(f"--template takes NAME=FILE.npy, got {item!r}")
        out[name] = _load(Path(path))
    return out


def _load(path: Path):
    import numpy as np

    from cortexlink.core.errors import InvalidParameterError
    from cortexlink.core.paths import existing_file

    try:
        return np.load(existing_file(path), allow_pickle=False)
    except ValueError as exc:
        raise InvalidParameterError(f"{path} is not a .npy array ({exc})") from None


def run_query(args: argparse.Namespace) -> int:
    from cortexlink.query import explain, query

    if args.explain:
        print(explain(args.text, args.store, dask=args.dask))
        return 0
    result = query(args.text, args.store, params=_params(args.template), dask=args.dask)
    print(f"{len(result)} window(s), {result.nbytes() / 1e6:.2f} MB selected")
    print(f"{'site':<12} {'windows':>8} {'first t (ms)':>13} {'last t (ms)':>12} {'MB':>8}")
    for site, n, t0, t1, nbytes in result.table():
        print(f"{site:<12} {n:>8} {t0:>13.1f} {t1:>12.1f} {nbytes / 1e6:>8.3f}")
    if args.out:
        print(f"wrote {result.to_npz(args.out)}")
    if args.plot:
        print(f"plot: {result.plot(args.plot)}")
    return 0
