"""`joinedup annual-report --year 2015/16 --warehouse W [--audit A] [--incidents L] --out R.html`:
the CAG annual report as HTML, and as JSON beside it (R.json)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.governance.annual import annual_report, annual_report_html


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", required=True, help="financial year: 2015 or 2015/16")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--audit", type=Path, help="the service's audit log")
    parser.add_argument("--incidents", type=Path, help="the incident log")
    parser.add_argument("--out", type=Path, required=True, help="the HTML file (JSON beside it)")


def run(args: argparse.Namespace) -> int:
    report = annual_report(args.year, args.warehouse, args.audit, args.incidents)
    try:
        args.out.write_text(annual_report_html(report), encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{args.out}: cannot write ({error.strerror})") from None
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0
