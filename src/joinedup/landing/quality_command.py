"""`joinedup quality --warehouse W [--vault V] [--truth DIR [--compare-models]]`: the quality
report of landing.quality as JSON or as text."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from joinedup.errors import BadOption
from joinedup.landing.quality import REQUIRED_TABLES, QualityReport, add_linkage, quality_report
from joinedup.warehouse import store


def as_text(report: QualityReport) -> str:
    lines = []
    for name, feed in report.feeds.items():
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
    recorded = ", ".join(f"{k} {v}" for k, v in report.objections_recorded.items()) or "none"
    lines.append(f"objections recorded: {recorded}")
    if report.linkage:
        lines += _linkage_text(report.linkage)
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
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else as_text(report))
    return 0
