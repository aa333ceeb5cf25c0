"""`joinedup records flows|notice --register R --out FILE`: the data-flow register as CSV and the
fair processing notice as a printable HTML file, generated from the contract and the register."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from joinedup.arguments import iso_date
from joinedup.errors import BadInput
from joinedup.governance import records
from joinedup.governance.register import load_register


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", choices=("flows", "notice"), help="which record")
    parser.add_argument("--register", type=Path, required=True, help="the governance register")
    parser.add_argument("--out", type=Path, required=True, help="CSV (flows) or HTML (notice)")
    parser.add_argument("--as-of", type=iso_date, default=dt.date.today(), help="default today")


def run(args: argparse.Namespace) -> int:
    register = load_register(args.register)
    if args.record == "flows":
        text = records.data_flows_csv(records.data_flows(register, args.as_of))
    else:
        text = records.notice_document(records.notice(register, args.as_of))
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{args.out}: cannot write ({error.strerror})") from None
    print(f"wrote {args.out} (register {register.sha256[:12]})")
    return 0
