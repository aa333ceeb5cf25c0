"""The annual report from the system's own records, on the retention tests' generated area."""

import datetime as dt
import json

from retention_area import landed_area_fixture, stores_fixture  # noqa: F401 (fixtures)

from joinedup.cli import main
from joinedup.governance import retention
from joinedup.governance.annual import annual_report, annual_report_html
from joinedup.governance.audit import FIELDS, GENESIS, AuditLog, record_hash, verify
from joinedup.governance.incidents import IncidentLog


def test_the_annual_report_counts_loads_objections_accesses_destruction_and_incidents(stores):
    warehouse, audit, incidents = stores / "w.duckdb", stores / "audit.jsonl", stores / "inc.jsonl"
    log = AuditLog(audit, "0" * 64)
    log.append(user="analyst.demo", role="analyst", purpose="jsna", tier="P", decision="allow")
    log.append(user="gp.demo", role="gp", purpose="direct_care", tier="I", decision="allow",
               action="POST page 303", resource="/persons/abc/break-glass",
               rule="relationship:break_glass")  # fmt: skip
    log.append(user="gp.demo", role="gp", purpose="direct_care", tier="I", decision="allow",
               action="GET api 200", resource="/api/v1/persons/abc/record",
               rule="relationship:break_glass")  # a view after the use: not a use  # fmt: skip
    log.append(user="ig.demo", role="ig_lead", purpose="oversight", tier="audit",
               decision="allow", action="POST api 200",
               resource="/api/v1/audit/break-glass/1/review", rule="audit")  # fmt: skip
    log.append(user="board.demo", role="board", purpose="jsna", tier="P", decision="deny")
    log.close()
    today = dt.date.today()
    IncidentLog(incidents).record("misdirected letter", today, 2)
    policy = retention.Policy.from_register(stores / "area" / "register.yaml")
    retention.apply(policy, warehouse, stores / "v.duckdb", today)
    year = str(today.year if today.month >= 4 else today.year - 1)

    out = stores / "annual.html"
    args = ["annual-report", "--year", year, "--warehouse", str(warehouse), "--audit", str(audit),
            "--incidents", str(incidents), "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    accesses = report["accesses"]
    assert accesses["requests"] == 5 and accesses["refused"] == 1
    assert accesses["by_role"] == {"analyst": 1, "gp": 2, "ig_lead": 1}
    assert accesses["break_glass_uses"] == 1 and accesses["break_glass_reviews"] == 1
    assert accesses["audit_log"]["chain_intact"]
    assert report["incidents"]["recorded"] == 1 and report["incidents"]["people_affected"] == 2
    assert len(report["destruction_runs"]) == 1 and report["destruction_runs"][0]["rows"] > 0
    assert "Annual report" in out.read_text() and "<script" not in out.read_text()

    args[2] = "2017/18"  # the year the area was loaded (as of 2017-06-01)
    assert main(args) == 0
    loaded = json.loads(out.with_suffix(".json").read_text())
    assert loaded["rows_landed"]["acute_apc"]["rows_accepted"] > 0
    assert sum(loaded["objections"]["people_with_an_active_objection"].values()) > 0
    assert loaded["accesses"]["requests"] == 0 and loaded["destruction_runs"] == []


def write_audit(path, records: list[dict]) -> None:
    """An audit log of these records at their own times, chained as AuditLog chains them."""
    prev, lines = GENESIS, []
    for seq, fields in enumerate(records, start=1):
        record = {name: fields.get(name) for name in FIELDS} | {"seq": seq, "prev": prev}
        record["hash"] = prev = record_hash(record)
        lines.append(json.dumps(record, sort_keys=True) + "\n")
    path.write_text("".join(lines))


def test_the_annual_report_counts_the_years_alerts_by_the_services_rules(stores):
    audit = stores / "alerts.jsonl"
    viewed = [f"p{n}" for n in range(31)]
    write_audit(audit, [
        {"time": "2016-05-10T10:00:00", "user": "analyst.demo", "tier": "P", "decision": "allow",
         "people": viewed},  # more than 30 people in a day
        {"time": "2016-05-11T22:30:00", "user": "gp.demo", "tier": "I", "decision": "allow",
         "rule": "relationship:registration"},  # out of hours
        *[{"time": f"2016-06-01T09:0{n}:00", "user": "board.demo", "action": "sign-in",
           "decision": "deny"} for n in range(3)],  # three refused sign-ins in a day
        *[{"time": f"2016-06-0{d}T09:00:00", "user": "admin.demo", "action": "sign-in",
           "decision": "deny"} for d in (2, 3)],  # two, on two days: no alert
        {"time": "2017-05-10T23:00:00", "user": "gp.demo", "tier": "I", "decision": "allow"},
    ])  # fmt: skip
    assert verify(audit).broken_at is None
    report = annual_report("2016/17", stores / "w.duckdb", audit, None)
    assert report["alerts"] == {"volume": 1, "out_of_hours": 1, "failed_sign_ins": 1}
    assert "Alerts" in annual_report_html(report)
