"""What landing did with every row (the `joinedup quality` command is quality_command.py).

Per feed: files and whole-file rejections, rows read, accepted and rejected (by column and rule),
NHS number completeness and validity, linkage outcomes and the Type 1 and social care
(SC_DISSENT) objections applied, from the warehouse's metadata tables; NHS number conflicts per
feed, ties held and the match-weight histogram from the identity vault; with a generated area's truth, linkage precision and recall.
Counts only, never a value.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.landing.write import landing_objection

FEED_TOTALS = """
SELECT feed, count(*), sum(rows_read),
       sum(rows_accepted), sum(rows_rejected), sum(nhs_number_present), sum(nhs_number_valid)
FROM load_files GROUP BY feed ORDER BY feed
"""


REQUIRED_TABLES = ("load_files",)


@dataclass
class QualityReport:
    """Per feed (rows, rejections by column and rule, NHS numbers, linkage, objections), the
    objections recorded, and the vault's linkage counts once `add_linkage` has run."""

    feeds: dict[str, dict]
    objections_recorded: dict[str, int]
    linkage: dict | None = None

    def to_dict(self) -> dict:
        """The shape `joinedup quality --format json` prints."""
        return {
            "feeds": self.feeds,
            "objections_recorded": self.objections_recorded,
            "linkage": self.linkage,
        }


def quality_report(con: duckdb.DuckDBPyConnection) -> QualityReport:
    """The quality report of an open warehouse (see module docstring)."""
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
    return QualityReport(feeds, objections)


def add_linkage(
    report: QualityReport,
    warehouse: Path,
    vault: Path | None = None,
    truth_dir: Path | None = None,
    compare_models: bool = False,
) -> QualityReport:
    """Add the identity vault's counts to a quality report (the vault defaults to vault.duckdb
    beside the warehouse, as `joinedup load`; without one, none) and, given a generated area's
    truth folder, linkage precision and recall with every error counted by cause; with
    compare_models, also both parameter sets' figures on the area landed afresh (the truth
    folder's parent)."""
    from joinedup.identity import evaluate
    from joinedup.identity.evaluate import errors_by_cause, linkage_quality
    from joinedup.identity.vault import read_linkage_counts

    vault = vault or warehouse.parent / "vault.duckdb"
    report.linkage = None
    if vault.exists():
        report.linkage = read_linkage_counts(vault)
        for feed, n in report.linkage.pop("nhs_number_conflicts").items():
            if feed in report.feeds:
                report.feeds[feed]["nhs_number_conflicts"] = n
    if truth_dir is not None:
        quality = linkage_quality(warehouse, vault, truth_dir)
        causes = errors_by_cause(quality.pop("errors"))
        quality["errors_by_cause"] = [
            {"scope": scope, "error": error, "cause": cause, "rows": rows}
            for (scope, error, cause), rows in sorted(causes.items())
        ]
        report.linkage = {**(report.linkage or {}), "against_truth": quality}
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
