"""`joinedup risk train|evaluate|score|list`: the command adapter over `risk.workflow`.

Every listing shows pseudo_ids only (tier P); the tier pyramid is disclosure-controlled (tier A).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import duckdb

from joinedup.arguments import iso_date
from joinedup.duck import default_memory_limit
from joinedup.engine import stores
from joinedup.errors import StoreError
from joinedup.progress import stage
from joinedup.risk import oracle, workflow
from joinedup.risk.rules import load_rules
from joinedup.risk.scores import SCORES_TABLE, read
from joinedup.risk.tiers import TIER_NAMES

REQUIRED_TABLES = ("gp_register", "person", "acute_apc", "social_care_events", "objections")


def tier_list(text: str) -> tuple[str, ...]:
    tiers = tuple(t.strip() for t in text.split(","))
    for tier in tiers:
        if tier not in TIER_NAMES:
            raise argparse.ArgumentTypeError(f"{tier!r} is not a tier ({', '.join(TIER_NAMES)})")
    return tiers


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="fit the models, validate them later, write a card")
    _common(train)
    _rules(train)
    train.add_argument(
        "--train-index",
        type=iso_date,
        default=date(2014, 4, 1),
        help="index date the models learn at (default 2014-04-01)",
    )
    train.add_argument(
        "--validate-index",
        type=iso_date,
        default=date(2015, 4, 1),
        help="later index date for temporal validation (default 2015-04-01)",
    )
    train.add_argument("--seed", type=int, default=0, help="random state (default 0)")
    evaluate = actions.add_parser("evaluate", help="evaluate a trained model at an index date")
    _common(evaluate)
    _rules(evaluate)
    evaluate.add_argument("--index-date", type=iso_date, required=True)
    evaluate.add_argument(
        "--truth",
        type=Path,
        help="a generated area's truth folder: report the true hazards' ceiling beside the model",
    )
    evaluate.add_argument(
        "--vault",
        type=Path,
        help="with --truth: the identity vault, for each row's file and line (default:"
        " vault.duckdb beside the warehouse)",
    )
    score = actions.add_parser(
        "score", help=f"score everyone at an index date into the warehouse table {SCORES_TABLE}"
    )
    _common(score)
    _rules(score)
    score.add_argument("--index-date", type=iso_date, required=True)
    listing = actions.add_parser(
        "list",
        help=f"case-finding worklists (from {SCORES_TABLE}), the rule's list, or the tier pyramid",
    )
    _common(listing)
    _rules(listing)
    listing.add_argument("--index-date", type=iso_date, required=True)
    listing.add_argument("--practice", help="only this practice's worklist")
    listing.add_argument(
        "--tiers",
        type=tier_list,
        default=("very_high", "high"),
        help="tiers to list, comma separated (default very_high,high)",
    )
    show = listing.add_mutually_exclusive_group()
    show.add_argument("--rule", action="store_true", help="list the case-finding rule's people")
    show.add_argument(
        "--pyramid",
        choices=("practice", "locality"),
        help="disclosure-controlled tier counts by practice or locality",
    )


def _rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, help="case-finding rule YAML (default: Southend)")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, help="warehouse DuckDB file (Parquet folder on Spark)"
    )
    stores.add_option(parser)
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path("risk-model"),
        help="directory of the trained model and its card (default risk-model)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "score":  # reads everyone, writes one table: copied while it reads
            opened = stores.reading_while_copying(args.engine, args.warehouse, REQUIRED_TABLES)
            with opened as (con, writer):
                return do_score(con, writer, args)
        with stores.reading(args.engine, args.warehouse, needed=REQUIRED_TABLES) as con:
            return ACTIONS[args.action](con, args)
    except duckdb.OutOfMemoryException:  # DuckDB's message is advice for its own settings
        raise StoreError(
            f"{args.warehouse}: risk {args.action} ran out of memory (JOINEDUP_DUCKDB_MEMORY="
            f"{default_memory_limit()} per DuckDB instance); the warehouse is as it was: raise"
            " it, or free memory, and run it again"
        ) from None


def do_train(con, args) -> int:
    trained = workflow.train_and_validate(
        con,
        args.model_dir,
        load_rules(args.rules),
        args.train_index,
        args.validate_index,
        args.seed,
        progress=not args.quiet,
    )
    if args.format == "json":
        print(json.dumps(trained.to_dict()))
    else:
        print(f"model written to {args.model_dir} (card: {workflow.CARD_MARKDOWN})")
        print(summary_text(trained.evaluation))
    return 0


def do_evaluate(con, args) -> int:
    truth = _truth(con, args) if args.truth else None
    report = workflow.evaluate_saved(
        con, args.model_dir, args.index_date, load_rules(args.rules), truth, not args.quiet
    )
    print(json.dumps(report) if args.format == "json" else summary_text(report))
    return 0


def _truth(con, args) -> oracle.Truth:
    from joinedup.identity.vault import Vault  # Splink's import: 1 s the other actions skip
    from joinedup.landing.lineage import landed_lineage

    vault_path = args.vault or args.warehouse.parent / "vault.duckdb"
    with Vault.open(vault_path, must_exist=True) as vault:
        return oracle.Truth(args.truth, landed_lineage(con, vault, args.warehouse))


def do_score(con, writer, args) -> int:
    bundle = workflow.load(args.model_dir)
    with stage(f"risk: scoring at {args.index_date}", not args.quiet):
        run = workflow.score_into_warehouse(
            con, bundle, args.index_date, load_rules(args.rules), writer, not args.quiet
        )
    if args.format == "json":
        print(json.dumps(run.to_dict()))
    else:
        print(f"{run.rows_written} scores written to {SCORES_TABLE} for {args.index_date}")
        print(pyramid_text(run.pyramid_by_locality, "locality"))
    return 0


def do_list(con, args) -> int:
    if args.pyramid:
        counts = workflow.tier_pyramid(con, args.index_date, args.pyramid)
        print(json.dumps(counts) if args.format == "json" else pyramid_text(counts, args.pyramid))
    elif args.rule:
        listed = workflow.rule_list(con, load_rules(args.rules), args.index_date)
        print(json.dumps(listed.to_dict()) if args.format == "json" else rule_text(listed))
    else:
        stored = read(con, args.index_date)
        rows = workflow.worklists(con, stored, args.tiers, args.practice)
        rows = [r.as_dict() for r in rows]
        print(json.dumps({"worklist": rows}) if args.format == "json" else worklist_text(rows))
    return 0


def summary_text(report: dict) -> str:
    lines = [
        f"index date {report['index_date']}: {report['people']} people "
        f"({report['opted_out_excluded']} opted out, left out); rule list "
        f"{report['rule']['list_size']}",
        f"{'outcome':<20} {'model':>8} {'events':>6} {'AUROC (95% CI)':>20} {'no SC':>6} "
        f"{'slope':>6} {'icpt':>6} {'PPV5%':>6} {'rule PPV':>8} {'model@rule':>10}",
    ]
    for outcome, s in workflow.summary(report).items():
        auroc = s["auroc"]
        ci = (
            f"{auroc['auroc']:.3f} ({auroc['ci_low']:.2f}-{auroc['ci_high']:.2f})" if auroc else "-"
        )
        lines.append(
            f"{outcome:<20} {s['learner']:>8} {s['events']:>6} {ci:>20} "
            f"{_f(s['auroc_without_social_care']):>6} "
            f"{_f(s['calibration_slope']):>6} {_f(s['calibration_intercept']):>6} "
            f"{_f(s['ppv_top_5%']):>6} {_f(s['rule_ppv']):>8} {_f(s['model_ppv_at_rule_size']):>10}"
        )
    return "\n".join(lines + workflow.ceiling_lines(report))


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def rule_text(listed: workflow.RuleList) -> str:
    lines = [f"{listed.rule}: {len(listed.people)} people flagged of {listed.population}"]
    lines += [f"{r['practice_code']}\t{r['pseudo_id']}\t{r['criteria_met']}" for r in listed.people]
    return "\n".join(lines)


def worklist_text(rows: list[dict]) -> str:
    lines = ["practice\tpseudo_id\tscore\ttier\ton_care_plan\trule_flagged\treasons"]
    lines += [
        f"{r['practice_code']}\t{r['pseudo_id']}\t{r['score']:.4f}\t{r['tier']}\t"
        f"{'yes' if r['on_care_plan'] else 'no'}\t{'yes' if r['rule_flagged'] else 'no'}\t"
        f"{r['reasons']}"
        for r in rows
    ]
    return "\n".join(lines)


def pyramid_text(counts: dict, by: str) -> str:
    header = f"{by:<12}" + "".join(f"{t:>11}" for t in (*TIER_NAMES, "total"))
    lines = [header]
    for group, row in counts.items():
        cells = "".join(f"{'*' if row[t] is None else row[t]:>11}" for t in (*TIER_NAMES, "total"))
        lines.append(f"{group:<12}{cells}")
    lines.append("* suppressed (1-7); other counts rounded to the nearest 5")
    return "\n".join(lines)


ACTIONS = {"train": do_train, "evaluate": do_evaluate, "list": do_list}  # and do_score
