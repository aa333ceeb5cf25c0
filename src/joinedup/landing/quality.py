"""`joinedup quality --warehouse W [--vault V] [--truth DIR]`: what landing did with every row.

Per feed: files and whole-file rejections, rows read, accepted and rejected (by column and rule),
NHS number completeness and validity, linkage outcomes and the Type 1 and social care
(SC_DISSENT) objections applied, from the warehouse's metadata tables; NHS number conflicts per
feed, ties held and the match-weight histogram from the identity vault; with a generated area's truth, linkage precision and recall.
Counts only, never a value.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.errors import BadOption
from joinedup.landing.write import landing_objection
from joinedup.warehouse import store

FEED_TOTALS = """
SELECT feed, count(*), sum(rows_read),
       sum(rows_accepted), sum(rows_rejected), sum(nhs_number_present), sum(nhs_number_valid)
FROM load_files GROUP BY feed ORDER BY feed
"""


REQUIRED_TABLES = ("load_files",)


def quality_report(con: duckdb.DuckDBPyConnection) -> dict:
    """The quality report of an open warehouse as a dict (see module docstring)."""
    feeds = {row[0]: _feed_totals(row) for row in con.execute(FEED_TOTALS).fetchall()}
    for feed, problem, file in con.execute(
        "SELECT feed, problem, file FROM load_files WHERE status = 'rejected' ORDER BY file"
    ).fetchall():
        feeds[feed]["files_rejected_whole"].append({"file": file, "problem": problem})
    for feed, name in con.execute(
        "SELECT DISTINCT feed, unnest(extra_columns) FROM load_files ORDER BY 1, 2"
    ).fetchall():
        feeds[feed]["extra_columns"].append(name)
    _add_breakdowns(con, feeds)
    objections = dict(
        con.execute(
            "SELECT objection_type, count(*) FROM objections GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    return {"feeds": feeds, "objections_recorded": objections}


def add_linkage(
    report: dict,
    warehouse: Path,
    vault: Path | None = None,
    truth_dir: Path | None = None,
    compare_models: bool = False,
) -> dict:
    """Add the identity vault's counts to a quality report (the vault defaults to vault.duckdb
    beside the warehouse, as `joinedup load`; without one, none) and, given a generated area's
    truth folder, linkage precision and recall with every error counted by cause; with
    compare_models, also both parameter sets' figures on the area landed afresh (the truth
    folder's parent)."""
    from joinedup.identity import encryption, evaluate
    from joinedup.identity.evaluate import errors_by_cause, linkage_quality, vault_linkage_counts

    vault = vault or warehouse.parent / "vault.duckdb"
    report["linkage"] = None
    if vault.exists():
        needed = ("identifier_records", "review_queue")
        key = encryption.configured()  # the variable only: quality names no register
        with store.reading(vault, "identity vault", needed, encryption_key=key) as con:
            report["linkage"] = vault_linkage_counts(con)
        for feed, n in report["linkage"].pop("nhs_number_conflicts").items():
            if feed in report["feeds"]:
                report["feeds"][feed]["nhs_number_conflicts"] = n
    if truth_dir is not None:
        quality = linkage_quality(warehouse, vault, truth_dir)
        causes = errors_by_cause(quality.pop("errors"))
        quality["errors_by_cause"] = [
            {"scope": scope, "error": error, "cause": cause, "rows": rows}
            for (scope, error, cause), rows in sorted(causes.items())
        ]
        report["linkage"] = {**(report["linkage"] or {}), "against_truth": quality}
        if compare_models:
            with tempfile.TemporaryDirectory(prefix="joinedup-models-") as work:
                quality["models"] = evaluate.compare_models(Path(truth_dir).parent, Path(work))
    return report


def _feed_totals(row: tuple) -> dict:
    _, files, read, accepted, rejected, present, valid = row
    return {
        "files": files,
        "files_rejected_whole": [],
        "extra_columns": [],
        "rows_read": int(read),
        "rows_accepted": int(accepted),
        "rows_rejected": int(rejected),
        "rejections": [],
        "nhs_number": None
        if present is None
        else {
            "present": int(present),
            "valid": int(valid),
            "completeness": _share(present, accepted),
            "validity": _share(valid, present),
        },
        "linkage": {},
        "nhs_number_conflicts": 0,
        "type1_rows_not_landed": 0,
        "type1_rows_removed": 0,
        "sc_dissent_rows_not_landed": 0,
        "sc_dissent_rows_removed": 0,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _add_breakdowns(con: duckdb.DuckDBPyConnection, feeds: dict) -> None:
    for feed, column, rule, rows in con.execute(
        "SELECT feed, column_name, rule, count(*) FROM rejections GROUP BY ALL ORDER BY 1, 4 DESC, 2, 3"
    ).fetchall():
        feeds[feed]["rejections"].append({"column": column, "rule": rule, "rows": rows})
    for feed, method, rows in con.execute(
        "SELECT feed, link_method, sum(rows) FROM linkage_outcomes GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        feeds[feed]["linkage"][method] = int(rows)
    for feed, not_landed, removed in con.execute(
        "SELECT feed, sum(rows_not_landed), sum(rows_removed) FROM objection_effects GROUP BY feed"
    ).fetchall():
        kind = landing_objection(contract.feeds()[feed]).lower()
        feeds[feed][f"{kind}_rows_not_landed"] = int(not_landed)
        feeds[feed][f"{kind}_rows_removed"] = int(removed)


def as_text(report: dict) -> str:
    lines = []
    for name, feed in report["feeds"].items():
        lines.append(f"{name}: {feed['files']} files")
        lines.append(
            f"  rows read {feed['rows_read']}, accepted {feed['rows_accepted']},"
            f" rejected {feed['rows_rejected']}"
        )
        lines += [
            f"  file rejected whole: {f['file']}: {f['problem']}"
            for f in feed["files_rejected_whole"]
        ]
        if feed["extra_columns"]:
            lines.append(f"  extra columns kept aside: {', '.join(feed['extra_columns'])}")
        lines += [
            f"  rejected on {r['column']} ({r['rule']}): {r['rows']} rows"
            for r in feed["rejections"]
        ]
        if feed["nhs_number"]:
            nhs = feed["nhs_number"]
            lines.append(
                f"  NHS number: present {nhs['present']} ({_percent(nhs['completeness'])}),"
                f" valid {nhs['valid']} ({_percent(nhs['validity'])} of present)"
            )
        if feed["linkage"]:
            methods = ", ".join(f"{m} {n}" for m, n in feed["linkage"].items())
            lines.append(f"  linkage (rows): {methods}")
        if feed["nhs_number_conflicts"]:
            lines.append(
                f"  NHS number conflicts: {feed['nhs_number_conflicts']} identifier records whose"
                " valid NHS number the other identifiers contradicted (matched without it)"
            )
        for kind, label in (("type1", "Type 1 objections"), ("sc_dissent", "social care opt-outs")):
            if feed[f"{kind}_rows_not_landed"] or feed[f"{kind}_rows_removed"]:
                lines.append(
                    f"  {label}: {feed[f'{kind}_rows_not_landed']} rows not landed,"
                    f" {feed[f'{kind}_rows_removed']} earlier rows removed"
                )
    recorded = ", ".join(f"{k} {v}" for k, v in report["objections_recorded"].items()) or "none"
    lines.append(f"objections recorded: {recorded}")
    if report.get("linkage"):
        lines += _linkage_text(report["linkage"])
    return "\n".join(lines)


def _linkage_text(linkage: dict) -> list[str]:
    lines = []
    if "ties_held" in linkage:
        lines.append(
            f"ties held for review (two people within the tie margin): {linkage['ties_held']}"
        )
        lines.append("match weight of probabilistically scored records:")
    for b in linkage.get("match_weight_histogram", []):
        low = "" if b["from"] is None else b["from"]
        high = "" if b["to"] is None else b["to"]
        lines.append(f"  {low:>4} .. {high:<4} {b['records']}")
    truth = linkage.get("against_truth")
    if truth:
        lines.append(
            f"linkage against the truth: rows without a valid NHS number"
            f" ({truth['rows_without_valid_nhs_number']}): precision {_ratio(truth['precision'])},"
            f" recall {_ratio(truth['recall'])}; all rows ({truth['overall']['rows']}):"
            f" precision {_ratio(truth['overall']['precision'])},"
            f" recall {_ratio(truth['overall']['recall'])}"
        )
        lines += [
            f"  {e['scope']}: {e['error']} ({e['cause']}): {e['rows']} rows"
            for e in truth["errors_by_cause"]
        ]
        for name, m in truth.get("models", {}).items():
            lines.append(
                f"{name} parameters, the area landed afresh: rows without a valid NHS number"
                f" precision {_ratio(m['precision'])}, recall {_ratio(m['recall'])}; all rows"
                f" precision {_ratio(m['overall']['precision'])},"
                f" recall {_ratio(m['overall']['recall'])}"
            )
    return lines


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.5f}"


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f}%"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", required=True, type=Path, help="warehouse DuckDB file")
    parser.add_argument(
        "--vault", type=Path, help="identity vault (default: vault.duckdb beside the warehouse)"
    )
    parser.add_argument(
        "--truth", type=Path, help="a generated area's truth folder: linkage precision and recall"
    )
    parser.add_argument(
        "--compare-models",
        action="store_true",
        help="with --truth: land the area again with fixed and with estimated linkage parameters"
        " (scratch stores) and report both models' precision and recall",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for machines",
    )


def run(args: argparse.Namespace) -> int:
    with store.reading(args.warehouse, needed=REQUIRED_TABLES) as con:
        report = quality_report(con)
    if args.compare_models and args.truth is None:
        raise BadOption("--compare-models needs --truth (a generated area's truth folder)")
    add_linkage(report, args.warehouse, args.vault, args.truth, args.compare_models)
    print(json.dumps(report, indent=2) if args.format == "json" else as_text(report))
    return 0
