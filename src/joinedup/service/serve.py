"""`joinedup serve --warehouse W --vault V --register R --service S --audit A [--incidents L]
[--host] [--port]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.errors import StoreError
from joinedup.governance.register import load_register


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="warehouse DuckDB file (read only)"
    )
    parser.add_argument("--vault", required=True, type=Path,
                        help="identity vault (tier I identities and identity review; attached per look-up)")  # fmt: skip
    parser.add_argument("--register", required=True, type=Path, help="governance register (YAML)")
    parser.add_argument(
        "--service", required=True, type=Path, help="the service's own store S (SQLite)"
    )
    parser.add_argument(
        "--audit", required=True, type=Path, help="the audit log (JSON lines, append-only)"
    )
    parser.add_argument(
        "--incidents", type=Path, help="the IG lead's incident log (default: S.incidents.jsonl)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from joinedup.service.app import create_app

    for path, what in ((args.warehouse, "warehouse"), (args.vault, "vault")):
        if not path.is_file():
            raise StoreError(f"{path}: no such {what} file")
    app = create_app(
        args.warehouse, load_register(args.register), args.service, args.audit, args.incidents,
        vault=args.vault,
    )
    print(
        f"joinedup serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)",
        file=sys.stderr,
        flush=True,
    )
    # no access log: request lines carry pseudonyms and filters, and nothing of that is logged
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0
