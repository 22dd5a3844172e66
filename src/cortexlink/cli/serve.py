"""``cortexlink serve`` (the HTTP/WebSocket API and dashboard), ``cortexlink token add`` (a bearer
token for it) and ``cortexlink audit verify`` (check its audit log's hash chain)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve the HTTP/WebSocket API and the browser dashboard",
        description="Start, watch and stop graphs, decode, and manage models and recordings over HTTP; "
        "the dashboard is at /dashboard/. Every request needs a bearer token from --tokens "
        "(make one with 'cortexlink token add') and is recorded in the audit log.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--tokens", required=True, metavar="FILE", help="token file (hashed tokens and scopes)"
    )
    serve.add_argument(
        "--data-dir",
        default="cortexlink-serve",
        metavar="DIR",
        help="audit log, models/ and recordings/ (default ./cortexlink-serve)",
    )
    serve.add_argument("--tls-cert", default=None, metavar="PEM", help="serve HTTPS with this certificate")
    serve.add_argument("--tls-key", default=None, metavar="PEM", help="the certificate's private key")
    serve.add_argument(
        "--encrypt",
        action="store_true",
        help="store uploaded models, store exports and what graphs' recorders export encrypted "
        "(AES-GCM) with the key from --key-file or $CORTEXLINK_KEY",
    )
    serve.add_argument("--key-file", default=None, metavar="FILE", help="encryption key file (64 hex digits)")
    serve.add_argument(
        "--api-nice",
        type=int,
        default=5,
        metavar="N",
        help="run the API's threads N nicer than the graphs it starts, so on a busy machine "
        "dashboards get the CPU after the graph (0-19, default 5; 0: same priority)",
    )
    serve.set_defaults(func=_serve)

    token = subparsers.add_parser("token", help="manage the bearer tokens of 'cortexlink serve'")
    tsub = token.add_subparsers(dest="token_command", metavar="ACTION")
    add = tsub.add_parser(
        "add",
        help="add a token to a token file and print it (shown only once)",
        description="Append a new random token with its scopes to FILE; only its "
        "SHA-256 is stored. Scopes nest: admin > control > read.",
    )
    add.add_argument("file", help="token file (created if missing)")
    add.add_argument("id", help="a name for the token (what the audit log records)")
    add.add_argument(
        "--scope",
        action="append",
        choices=("read", "control", "admin"),
        default=None,
        help="a scope (repeatable; default read)",
    )
    add.set_defaults(func=_token_add)
    token.set_defaults(func=lambda args: (token.print_help(), 2)[1])

    audit = subparsers.add_parser("audit", help="check the audit log of 'cortexlink serve'")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = asub.add_parser(
        "verify",
        help="check every entry's hash, the chain and the head file",
        description="Exit 0 when the log is intact, 1 (naming the first bad line) "
        "when a line was edited, deleted, reordered or cut off.",
    )
    verify.add_argument("file", help="audit log (JSON lines)")
    verify.set_defaults(func=_audit_verify)
    audit.set_defaults(func=lambda args: (audit.print_help(), 2)[1])


def _serve(args: argparse.Namespace) -> int:
    from cortexlink.serve import ServeConfig, serve

    config = ServeConfig(
        tokens=args.tokens,
        data_dir=args.data_dir,
        encrypt=args.encrypt,
        key_file=args.key_file,
        api_nice=args.api_nice,
    )
    scheme = "https" if args.tls_cert else "http"
    print(f"cortexlink serve: {scheme}://{args.host}:{args.port}/dashboard/ (Ctrl-C stops)", flush=True)
    serve(config, host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key)
    return 0


def _token_add(args: argparse.Namespace) -> int:
    from cortexlink.serve import add_token

    print(add_token(args.file, args.id, args.scope or ["read"]))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from cortexlink.serve import verify_audit

    check = verify_audit(args.file)
    for note in check.notes:
        print(f"note: {note}")
    if not check.ok:
        print(f"TAMPERED: {check.path}: {check.problem}", file=sys.stderr)
        return 1
    print(f"ok: {check.path}: {check.entries} entries, chain intact")
    return 0
