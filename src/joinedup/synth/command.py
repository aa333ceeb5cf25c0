"""`joinedup synth`: generate a synthetic area's feeds and its ground truth."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from joinedup.errors import UserError
from joinedup.governance.synthetic import write_register
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from error


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write the feeds into")
    parser.add_argument("--people", type=int, default=175_000, help="residents at the start (default 175000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    parser.add_argument("--start", type=_month, default=date(2013, 4, 1), help="first month, YYYY-MM (default 2013-04)")
    parser.add_argument("--months", type=int, default=36, help="months to simulate (default 36)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _check_writable(out: Path) -> None:
    """Refuse before writing anything, not part way through a generated area."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".joinedup-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"{out}: cannot write there ({error.strerror})") from None


def run(args: argparse.Namespace) -> int:
    if args.people < 100:
        raise UserError("--people must be at least 100")
    if not 1 <= args.months <= 240:
        raise UserError("--months must be between 1 and 240")
    _check_writable(args.out)
    if args.out.exists() and any(args.out.iterdir()) and not (args.out / "truth").is_dir():
        raise UserError(f"{args.out} exists and is not a generated area; choose an empty folder")
    started = time.monotonic()
    spec = AreaSpec(people=args.people, seed=args.seed, start=args.start, months=args.months)
    rows = generate(args.out, spec, progress=not args.quiet)
    write_register(args.out)
    print(f"wrote {sum(rows.values()):,} rows in {len(rows)} feeds to {args.out} "
          f"in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0
