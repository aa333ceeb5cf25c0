"""The IG lead's alerts (GOVERNANCE.md "Audit") computed from audit records: one set of rules for
the service's alerts page and the annual report. Break-glass uses are the service store's
(`service/handlers.py` `care_alerts`); a family name or postcode shared with the person viewed
is not computed yet (it needs the vault)."""

from __future__ import annotations

from collections import Counter, defaultdict

VOLUME_ALERT = 30  # people viewed by one user in a day
WORKING_HOURS = (7, 19)
FAILED_SIGN_IN_ALERT = 3
# tier I views of people on the user's caseload or registered list (not counted for volume)
ON_THE_LIST = ("relationship:registration", "relationship:caseload", "relationship:referral",
               "relationship:registration_grace", "relationship:caseload_grace")  # fmt: skip


def alerts(records: list[dict], failures: list[tuple[str, int]]) -> list[dict]:
    """GOVERNANCE.md alerts from the audit log: repeated failed sign-ins, more than 30 people a
    day (tier I: not on the user's caseload or registered list), tier P or I use outside
    07:00-19:00. Break-glass uses come from the service store (`care_alerts`)."""
    found = [
        {
            "kind": "failed_sign_ins",
            "user": user,
            "day": "last 24 hours",
            "detail": f"{n} failed sign-ins",
        }
        for user, n in failures
        if n >= FAILED_SIGN_IN_ALERT
    ]
    seen: dict[tuple[str, str], set] = defaultdict(set)
    late: Counter = Counter()
    for r in records:
        if r.get("decision") != "allow" or r.get("tier") not in ("P", "I") or not r.get("user"):
            continue
        day, hour = r["time"][:10], int(r["time"][11:13])
        if r["tier"] == "P" or r.get("rule") not in ON_THE_LIST:
            seen[(r["user"], day)].update(r.get("people") or [])
        if not WORKING_HOURS[0] <= hour < WORKING_HOURS[1]:
            late[(r["user"], day)] += 1
    found += [
        {"kind": "volume", "user": u, "day": d, "detail": f"{len(p)} people viewed"}
        for (u, d), p in sorted(seen.items())
        if len(p) > VOLUME_ALERT
    ]
    found += [
        {
            "kind": "out_of_hours",
            "user": u,
            "day": d,
            "detail": f"{n} tier P or I requests outside 07:00-19:00 UTC",
        }
        for (u, d), n in sorted(late.items())
    ]
    return found


def failed_sign_ins_by_day(records: list[dict]) -> Counter:
    """Refused sign-ins (a wrong password, a locked or disabled account) per (user, day) of the
    audit records: the annual report's span is longer than the service store's 24 hours."""
    return Counter(
        (r["user"], r["time"][:10])
        for r in records
        if r.get("action") == "sign-in" and r.get("decision") != "allow" and r.get("user")
    )
