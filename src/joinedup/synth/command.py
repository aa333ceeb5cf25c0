"""`joinedup synth`: generate a synthetic area's feeds and its ground truth."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from joinedup.errors import BadOption, UserError
from joinedup.governance.synthetic import write_register
from joinedup.synth.config import AreaSpec
from joinedup.synth.scheme import SchemeSpec
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
    scheme = parser.add_argument_group("a planted case-management scheme (off by default)")
    scheme.add_argument("--scheme", action="store_true",
                        help="enrol the pilot practices' highest-risk adults into a scheme that lowers their "
                             "emergency admission hazard; enrolment and true effect in truth/")
    scheme.add_argument("--scheme-start", type=_month, help="its start, YYYY-MM (default: 12 months before the end)")
    scheme.add_argument("--scheme-reduction", type=float, default=0.2,
                        help="how much lower the enrolled's hazard is, 0 to 1 (default 0.2: 20%%)")
    scheme.add_argument("--scheme-practices", type=float, default=1 / 3,
                        help="share of practices that pilot it (default 1/3)")
    scheme.add_argument("--scheme-cohort", type=float, default=0.03,
                        help="share of a pilot practice's registered adults enrolled (default 0.03)")


def _check_writable(out: Path) -> None:
    """Refuse before writing anything, not part way through a generated area."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".joinedup-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"{out}: cannot write there ({error.strerror})") from None


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _scheme(args: argparse.Namespace) -> SchemeSpec | None:
    """The planted scheme: it needs the evaluator's 12 months of history before its start."""
    if not args.scheme:
        return None
    first, end = _month_number(args.start) + 12, _month_number(args.start) + args.months
    start = args.scheme_start or date((end - 12) // 12, (end - 12) % 12 + 1, 1)
    if not first <= _month_number(start) < end:
        raise BadOption("--scheme-start must be at least 12 months after --start and before the end")
    for name in ("reduction", "practices", "cohort"):
        if not 0 <= getattr(args, f"scheme_{name}") <= 1:
            raise BadOption(f"--scheme-{name} must be between 0 and 1")
    return SchemeSpec(start, 1 - args.scheme_reduction, args.scheme_practices, args.scheme_cohort)


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
    rows = generate(args.out, spec, progress=not args.quiet, plant=_scheme(args))
    write_register(args.out)
    print(f"wrote {sum(rows.values()):,} rows in {len(rows)} feeds to {args.out} "
          f"in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0
