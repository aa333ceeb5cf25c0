"""`joinedup accounts --service S set-password USER --password-stdin | disable USER | list`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.service.store import ServiceStore


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service", required=True, type=Path, help="the service's store S (SQLite)"
    )
    action = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    setter = action.add_parser(
        "set-password", help="set (or reset) a user's password and enable the account"
    )
    setter.add_argument("user")
    setter.add_argument("--password-stdin", action="store_true", required=True,
                        help="read the password from the first line of standard input")  # fmt: skip
    action.add_parser("disable", help="disable an account and end its sessions").add_argument(
        "user"
    )
    action.add_parser("list", help="accounts and their state (never a hash)")


def run(args: argparse.Namespace) -> int:
    store = ServiceStore(args.service)
    try:
        if args.action == "set-password":
            password = sys.stdin.readline().rstrip("\r\n")
            store.set_password(args.user, password)
            print(f"password set for {args.user}")
        elif args.action == "disable":
            if not store.disable(args.user):
                raise BadInput(f"{args.service}: no account {args.user}")
            print(f"{args.user} disabled")
        else:
            for account in store.accounts():
                state = "disabled" if account.disabled else "locked" if account.locked else "active"
                print(f"{account.user_id}\t{state}\tchanged {account.changed}")
    finally:
        store.close()
    return 0
