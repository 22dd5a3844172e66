"""``cortexlink brand-supervisor``: answer BRAND's supervisor commands over Redis (load, start, stop
graphs; save RDB/NWB) so BRAND's tools drive cortexlink graphs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "brand-supervisor", help="serve BRAND's supervisor commands (supervisor_ipstream) over Redis",
        description="Wait for loadGraph / startGraph / stopGraph / updateParameters / saveRdb / saveNwb / "
                    "stopGraphAndSaveNWB / flushDb / setDataDir on supervisor_ipstream, run the graphs they "
                    "name, and answer each on supervisor_status (graph state on graph_status). Ctrl-C stops.")
    p.add_argument("--redis-url", required=True, help="redis://host:port of the server BRAND's tools use")
    p.add_argument("--data-dir", type=Path, default=Path("."), help="where saveNwb writes (default: here)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from cortexlink.graph.session import check_redis_url
    from cortexlink.nodes.brand_service import serve_brand

    check_redis_url(args.redis_url)
    try:
        serve_brand(args.redis_url, data_dir=args.data_dir)
    except KeyboardInterrupt:
        print("stopped")
    return 0
