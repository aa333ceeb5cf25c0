"""`joinedup calibrate DIR [--warehouse W] [--format text|json]`: the calibration table of
synth/calibrate.py, and exit 4 when a figure is outside its tolerance."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from joinedup.errors import BadInput, CheckFailed
from joinedup.synth.calibrate import calibration_rows


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="a folder written by `joinedup synth`")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="measure this landed warehouse (loaded from DIRECTORY) instead of the truth",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    if not (directory / "truth" / "row_person.csv").exists():
        raise BadInput(f"{directory}: not a generated area (no truth/row_person.csv)")
    if args.warehouse and not args.warehouse.exists():
        raise BadInput(f"{args.warehouse}: no such warehouse")
    rows = calibration_rows(directory, args.warehouse)
    if args.format == "json":
        print(json.dumps([asdict(r) | {"passed": r.passed} for r in rows], indent=2))
    else:
        print(f"{'figure':<68} {'year':<8} {'target':>10} {'range':>21} {'value':>10}  result")
        for r in rows:
            print(
                f"{r.figure:<68} {r.year:<8} {r.target:>10,.1f} {r.low:>10,.1f}-{r.high:<10,.1f} "
                f"{r.value:>10,.1f}  {'pass' if r.passed else 'FAIL'}"
            )
    failed = [r for r in rows if not r.passed]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(rows)} calibration figures outside tolerance")
    print(f"all {len(rows)} calibration figures within tolerance", file=sys.stderr)
    return 0
