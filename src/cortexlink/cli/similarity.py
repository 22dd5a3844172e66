"""``cortexlink similar``: the windows of a recording most like a query, by hash search and exactly."""

from __future__ import annotations

import argparse
from pathlib import Path

MEASURE_CHOICES = ("dtw", "euclidean", "xcor", "emd")  # similarity.MEASURES (a test keeps them equal), named
# here so that building the parser does not import the similarity package (about a second)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "similar", help="find the windows of a recording most similar to a query window",
        description="Cut a query window from QUERY_FILE, hash every window of every channel of DATA_FILE, "
                    "re-rank the hash candidates with the exact measure, and compare with the exact search "
                    "over all windows (recall and time).")
    p.add_argument("query_file", type=Path, metavar="QUERY_FILE", help="recording holding the query")
    p.add_argument("data_file", type=Path, metavar="DATA_FILE", help="recording to search")
    p.add_argument("--channel", type=int, default=0, metavar="C", help="query channel (default 0)")
    p.add_argument("--start", type=float, default=0.0, metavar="S", help="query start in seconds (default 0)")
    p.add_argument("--length", type=float, metavar="L", help="query length in seconds (default: to the end)")
    p.add_argument("--measure", choices=MEASURE_CHOICES, default="dtw", help="distance measure (default dtw)")
    p.add_argument("--k", type=int, default=10, help="matches to print (default 10)")
    p.add_argument("--exact", action="store_true", help="print the exact top k instead of the hash search's")
    p.add_argument("--candidates", type=float, default=0.05, metavar="F",
                   help="largest fraction of windows the hash search re-ranks exactly (default 0.05)")
    p.add_argument("--hop", type=int, metavar="N", help="samples between indexed windows (default: per hash)")
    p.add_argument("--band", type=int, metavar="N", help="DTW Sakoe-Chiba band in samples (default 10%%)")
    p.add_argument("--rate", type=float, metavar="HZ", help="sample rate of text or raw files")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save the query overlaid with its matches")
    p.set_defaults(func=run_similar)


def run_similar(args: argparse.Namespace) -> int:
    from cortexlink.similarity.find import find_similar, plot_matches

    result = find_similar(args.query_file, args.data_file, channel=args.channel, start=args.start,
                          length=args.length, measure=args.measure, k=args.k, exact=args.exact,
                          candidates=args.candidates, hop=args.hop, band=args.band, sample_rate=args.rate)
    m = result.matches
    source = "exact search" if args.exact else "hash search"
    print(f"top {len(m)} {result.measure} matches ({source}) of a {result.query.size}-sample query "
          f"among {result.n_windows} windows of {args.data_file}:")
    print(f"{'file':<40} {'channel':>7} {'time (s)':>10} {'distance':>10}")
    for ch, st, d in zip(m.channels, m.starts, m.distances, strict=True):
        print(f"{Path(args.data_file).name:<40} {ch:>7d} {st / result.sample_rate:>10.4f} {d:>10.4f}")
    print(f"hash search: recall {result.recall:.2f} of the exact top {len(result.exact)}, "
          f"{result.hashed.n_candidates} candidates ({1 - result.hashed.n_candidates / result.n_windows:.1%} "
          f"pruned), {result.hash_seconds * 1e3:.2f} ms; exact search {result.exact_seconds * 1e3:.2f} ms "
          f"({result.speedup:.1f}x); indexing {result.index_seconds:.2f} s")
    if args.plot:
        plot_matches(result, args.plot)
        print(f"plot: {args.plot}")
    return 0
