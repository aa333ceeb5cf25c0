"""The annual report (CAG condition 10) for a financial year, from the system's own records:
rows landed per feed (the warehouse's load records), objections applied by type, accesses by
tier, role and purpose, the break-glass uses and the alerts (the audit log), destruction runs (the
destruction record) and incidents (the incident log). Counts only; as JSON and one
self-contained HTML page. Loads and destruction runs fall in the year by their as-of day."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from pathlib import Path

from joinedup import contract
from joinedup.errors import BadInput
from joinedup.governance import alerts
from joinedup.governance.audit import verify
from joinedup.governance.incidents import IncidentLog
from joinedup.governance.retention import destruction_record
from joinedup.landing.write import LANDING_OBJECTIONS, landing_objection
from joinedup.metrics.periods import financial_year_label
from joinedup.warehouse import store

# The service's audit records of a break-glass use (its POST, page or API) and of the IG lead's
# review of one; the record views that follow a use carry its rule but are not uses.
BREAK_GLASS_USE = re.compile(r"^(/api/v1)?/persons/[^/]+/break-glass$")
BREAK_GLASS_REVIEW = re.compile(r"^(/api/v1)?/audit/break-glass/\d+/review$")


def financial_year(label: str) -> tuple[dt.date, dt.date]:
    """'2015' or '2015/16' -> 1 April 2015 to 31 March 2016."""
    first = label.split("/")[0]
    if not first.isdigit() or len(first) != 4:
        raise BadInput(f"--year {label}: expected a financial year such as 2015 or 2015/16")
    year = int(first)
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def _landed(con, start: dt.date, end: dt.date) -> dict:
    rows = con.execute(
        "SELECT f.feed, count(*), sum(f.rows_read), sum(f.rows_accepted), sum(f.rows_rejected)"
        " FROM load_files f JOIN loads l USING (load_id) WHERE l.as_of BETWEEN ? AND ?"
        " GROUP BY 1 ORDER BY 1",
        [start, end],
    ).fetchall()
    return {feed: {"files": n, "rows_read": int(r), "rows_accepted": int(a), "rows_rejected": int(x)}
            for feed, n, r, a, x in rows}  # fmt: skip


def _objections(con, start: dt.date, end: dt.date) -> dict:
    active = dict(con.execute(
        "SELECT objection_type, count(DISTINCT pseudo_id) FROM objections"
        " WHERE recorded_date <= ? AND (withdrawn_date IS NULL OR withdrawn_date >= ?) GROUP BY 1",
        [end, start],
    ).fetchall())  # fmt: skip
    out = {"people_with_an_active_objection": active}
    for kind in LANDING_OBJECTIONS:
        out[f"{kind.lower()}_rows_not_landed"] = out[f"{kind.lower()}_rows_removed"] = 0
    for feed, not_landed, removed in con.execute(
        "SELECT e.feed, sum(e.rows_not_landed), sum(e.rows_removed)"
        " FROM objection_effects e JOIN loads l USING (load_id) WHERE l.as_of BETWEEN ? AND ?"
        " GROUP BY 1",
        [start, end],
    ).fetchall():
        kind = landing_objection(contract.feeds()[feed]).lower()
        out[f"{kind}_rows_not_landed"] += int(not_landed)
        out[f"{kind}_rows_removed"] += int(removed)
    return out


def _accesses(audit: Path | None, start: dt.date, end: dt.date) -> dict:
    if audit is None:
        return {"audit_log": None}
    check = verify(audit)
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines() if line]
    inside = [r for r in records if start.isoformat() <= str(r.get("time"))[:10] <= end.isoformat()]
    allowed = [r for r in inside if r.get("decision") == "allow"]
    changes = [r for r in allowed if str(r.get("action")).startswith("POST")]
    return {
        "audit_log": {"records": check.records, "chain_intact": check.broken_at is None},
        "requests": len(inside),
        "refused": sum(r.get("decision") != "allow" for r in inside),
        "by_tier": dict(Counter(str(r.get("tier")) for r in allowed)),
        "by_role": dict(Counter(str(r.get("role")) for r in allowed)),
        "by_purpose": dict(Counter(str(r.get("purpose")) for r in allowed)),
        "break_glass_uses": sum(
            bool(BREAK_GLASS_USE.match(str(r.get("resource")))) for r in changes
        ),
        "break_glass_reviews": sum(
            bool(BREAK_GLASS_REVIEW.match(str(r.get("resource")))) for r in changes
        ),
        "alerts": _alerts(inside),
    }


def _alerts(inside: list[dict]) -> dict:
    """The year's alerts by kind, by the service's rules (governance/alerts.py): a user's day
    with more than 30 people viewed, with tier P or I use out of hours, with repeated refused
    sign-ins (break-glass uses are counted above)."""
    kinds = Counter(a["kind"] for a in alerts.alerts(inside, []))
    failed = alerts.failed_sign_ins_by_day(inside).values()
    return {
        "volume": kinds["volume"],
        "out_of_hours": kinds["out_of_hours"],
        "failed_sign_ins": sum(n >= alerts.FAILED_SIGN_IN_ALERT for n in failed),
    }


def _destruction(warehouse: Path, start: dt.date, end: dt.date) -> list[dict]:
    runs = []
    for entry in destruction_record(warehouse).read():
        if start.isoformat() <= entry["as_of"] <= end.isoformat():
            runs.append({"as_of": entry["as_of"], "policy_version": entry["policy_version"][:12],
                         "rows": sum(f["rows"] for f in entry["feeds"].values()),
                         "people_removed": entry["people_removed"],
                         "identities_destroyed": entry.get("identities_destroyed", 0)})  # fmt: skip
    return runs


def _incidents(log: Path | None, start: dt.date, end: dt.date) -> dict:
    if log is None:
        return {"incident_log": None}
    found = [i for i in IncidentLog(log).incidents() if start <= i.found <= end]
    return {
        "recorded": len(found),
        "people_affected": sum(i.people_affected for i in found),
        "reported": sum(i.reported is not None for i in found),
        "reported_late": sum(i.reported is not None and i.reported > i.deadline for i in found),
        "closed": sum(i.closed is not None for i in found),
        "overdue_at_year_end": sum(i.overdue(end) for i in found),
    }


def annual_report(year: str, warehouse: Path, audit: Path | None, incidents: Path | None) -> dict:
    start, end = financial_year(year)
    with store.reading(warehouse, needed=("loads", "load_files", "objections")) as con:
        landed, objections = _landed(con, start, end), _objections(con, start, end)
        if not store.has_table(con, "objection_effects"):
            objections = {
                "people_with_an_active_objection": objections["people_with_an_active_objection"]
            }
    return {
        "year": financial_year_label(start.year),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows_landed": landed,
        "objections": objections,
        "accesses": (accesses := _accesses(audit, start, end)),
        "alerts": accesses.pop("alerts", None),
        "destruction_runs": _destruction(warehouse, start, end),
        "incidents": _incidents(incidents, start, end),
    }


def _table(title: str, mapping: dict) -> str:
    e = html.escape
    body = "".join(
        f"<tr><th>{e(str(k))}</th><td>{e(_text(v))}</td></tr>" for k, v in mapping.items()
    )
    return f"<h2>{e(title)}</h2><table>{body or '<tr><td>none</td></tr>'}</table>"


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "none"
    return "not kept" if value is None else str(value)


def annual_report_html(report: dict) -> str:
    from joinedup.governance.records import PRINT_CSS

    runs = {f"{r['as_of']} (policy {r['policy_version']})": {k: v for k, v in r.items()
            if k not in ("as_of", "policy_version")} for r in report["destruction_runs"]}  # fmt: skip
    sections = [
        _table("Rows landed per feed", report["rows_landed"]),
        _table("Objections applied", report["objections"]),
        _table("Accesses (audit log)", report["accesses"]),
        _table("Alerts (users' days)", report["alerts"] or {"audit log": None}),
        _table("Destruction runs", runs),
        _table("Incidents", report["incidents"]),
    ]
    title = f"Annual report {report['year']} ({report['from']} to {report['to']})"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{PRINT_CSS}</style></head><body><h1>{title}</h1>{''.join(sections)}</body></html>\n"
    )
