"""Direct care's operational data in the service store S (never in the warehouse): caseload
entries, referrals, MDT meetings with their members, per-person outcomes with the accountable
lead professional, actions with owner and due date, joint care plans (every version kept, none
overwritten), break-glass uses and their review.

Rows are keyed by the person's pseudonym as the warehouse shows it (see README: re-keying on a
key rotation is still to do). The handlers audit every read and write with the rule that allowed it.
"""

from __future__ import annotations

import datetime as dt
import json

from joinedup.errors import BadInput
from joinedup.governance.relationships import BreakGlass, CaseloadEntry
from joinedup.service.store import ServiceStore, now

SCHEMA = """
CREATE TABLE IF NOT EXISTS caseload (id INTEGER PRIMARY KEY, person TEXT NOT NULL,
    team TEXT NOT NULL, accepted TEXT NOT NULL, accepted_by TEXT NOT NULL, reason TEXT NOT NULL,
    closed TEXT, closed_by TEXT);
CREATE TABLE IF NOT EXISTS contacts (person TEXT NOT NULL, team TEXT NOT NULL, day TEXT NOT NULL,
    user_id TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS referrals (id INTEGER PRIMARY KEY, person TEXT NOT NULL,
    team TEXT NOT NULL, by_user TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mdt_meetings (id INTEGER PRIMARY KEY, team TEXT NOT NULL,
    day TEXT NOT NULL, created_by TEXT NOT NULL, members TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mdt_outcomes (id INTEGER PRIMARY KEY, meeting INTEGER NOT NULL,
    person TEXT NOT NULL, outcome TEXT NOT NULL, lead TEXT, by_user TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (id INTEGER PRIMARY KEY, outcome INTEGER NOT NULL,
    person TEXT NOT NULL, action TEXT NOT NULL, owner TEXT NOT NULL, due TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS care_plans (person TEXT NOT NULL, version INTEGER NOT NULL,
    by_user TEXT NOT NULL, at TEXT NOT NULL, plan TEXT NOT NULL, PRIMARY KEY (person, version));
CREATE TABLE IF NOT EXISTS break_glass (id INTEGER PRIMARY KEY, person TEXT NOT NULL,
    user_id TEXT NOT NULL, day TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL,
    reviewed_by TEXT, reviewed_at TEXT);
"""
CARE_PLAN_FIELDS = ("goals", "interventions", "anticipatory_plan", "crisis_plan",
                    "preferred_place_of_care", "preferred_place_of_death", "review_date",
                    "lead_professional")  # fmt: skip
CARE_PLAN_REQUIRED = ("goals", "lead_professional", "review_date")


def _day(value: str, what: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise BadInput(f"{what}: expected a date (YYYY-MM-DD)") from None


def _text(value: str | None, what: str) -> str:
    if not value or not value.strip():
        raise BadInput(f"{what}: required")
    return value.strip()


class CareStore:
    """The direct-care tables, on the service store's connection and lock."""

    def __init__(self, store: ServiceStore) -> None:
        self._store = store
        with store._lock:
            store._con.executescript(SCHEMA)

    def _run(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._store._run(sql, params)

    def _insert(self, sql: str, params: tuple) -> int:
        with self._store._lock:
            return int(self._store._con.execute(sql, params).lastrowid)

    # caseload and contacts -------------------------------------------------------------------

    def add_to_caseload(self, person: str, team: str, user: str, reason: str, day: dt.date) -> int:
        return self._insert(
            "INSERT INTO caseload (person, team, accepted, accepted_by, reason)"
            " VALUES (?, ?, ?, ?, ?)",
            (person, team, day.isoformat(), user, _text(reason, "reason")),
        )

    def close_caseload(self, entry: int, user: str, day: dt.date, teams: tuple[str, ...]) -> bool:
        """Close an open entry of one of `teams`; False when there is none."""
        rows = self._run("SELECT team FROM caseload WHERE id = ? AND closed IS NULL", (entry,))
        if not rows or rows[0][0] not in teams:
            return False
        self._run(
            "UPDATE caseload SET closed = ?, closed_by = ? WHERE id = ?",
            (day.isoformat(), user, entry),
        )
        return True

    def record_contact(self, person: str, team: str, user: str, kind: str, day: dt.date) -> None:
        self._run(
            "INSERT INTO contacts VALUES (?, ?, ?, ?, ?)",
            (person, team, day.isoformat(), user, kind),
        )

    def caseload_entries(self, person: str) -> tuple[CaseloadEntry, ...]:
        rows = self._run(
            "SELECT c.team, c.accepted, c.reason, c.closed,"
            " (SELECT max(day) FROM contacts k WHERE k.person = c.person AND k.team = c.team)"
            " FROM caseload c WHERE c.person = ? ORDER BY c.id",
            (person,),
        )
        return tuple(
            CaseloadEntry(team, _date(accepted), reason, _date(closed), _date(last))
            for team, accepted, reason, closed, last in rows
        )

    def caseload_people(self, teams: tuple[str, ...]) -> list[str]:
        if not teams:
            return []
        marks = ",".join("?" * len(teams))
        return [
            p
            for (p,) in self._run(
                f"SELECT DISTINCT person FROM caseload WHERE team IN ({marks}) AND closed IS NULL",
                teams,
            )
        ]

    # break glass ---------------------------------------------------------------------------

    def break_glass(self, person: str, user: str, reason: str, day: dt.date) -> int:
        return self._insert(
            "INSERT INTO break_glass (person, user_id, day, at, reason) VALUES (?, ?, ?, ?, ?)",
            (person, user, day.isoformat(), now().isoformat(), _text(reason, "reason")),
        )

    def break_glass_of(self, person: str) -> tuple[BreakGlass, ...]:
        rows = self._run("SELECT user_id, day, reason FROM break_glass WHERE person = ?", (person,))
        return tuple(BreakGlass(u, _date(d), r) for u, d, r in rows)

    def break_glass_alerts(self, open_only: bool = True) -> list[dict]:
        """Break-glass uses for the IG lead (who, when, the reason; the person only by pseudonym)."""
        rows = self._run(
            "SELECT id, person, user_id, at, reason, reviewed_by, reviewed_at FROM break_glass"
            + (" WHERE reviewed_at IS NULL" if open_only else "")
            + " ORDER BY id"
        )
        keys = ("id", "pseudonym", "user", "at", "reason", "reviewed_by", "reviewed_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def review_break_glass(self, alert: int, user: str) -> bool:
        found = self._run(
            "SELECT 1 FROM break_glass WHERE id = ? AND reviewed_at IS NULL", (alert,)
        )
        self._run(
            "UPDATE break_glass SET reviewed_by = ?, reviewed_at = ? WHERE id = ?"
            " AND reviewed_at IS NULL",
            (user, now().isoformat(), alert),
        )
        return bool(found)

    # referrals and MDT ---------------------------------------------------------------------

    def refer(self, person: str, team: str, user: str, reason: str) -> int:
        return self._insert(
            "INSERT INTO referrals (person, team, by_user, at, reason) VALUES (?, ?, ?, ?, ?)",
            (person, team, user, now().isoformat(), _text(reason, "reason")),
        )

    def referrals(self, team: str) -> list[dict]:
        rows = self._run(
            "SELECT r.id, r.person, r.by_user, r.at, r.reason FROM referrals r WHERE r.team = ?"
            " AND NOT EXISTS (SELECT 1 FROM mdt_outcomes o JOIN mdt_meetings m ON m.id = o.meeting"
            " WHERE o.person = r.person AND m.team = r.team AND o.at >= r.at) ORDER BY r.id",
            (team,),
        )
        return [dict(zip(("id", "pseudonym", "by", "at", "reason"), r, strict=True)) for r in rows]

    def new_meeting(self, team: str, day: dt.date, user: str, members: list[str]) -> int:
        return self._insert(
            "INSERT INTO mdt_meetings (team, day, created_by, members) VALUES (?, ?, ?, ?)",
            (team, day.isoformat(), user, json.dumps(sorted(set(members)))),
        )

    def meeting(self, meeting: int) -> dict | None:
        rows = self._run(
            "SELECT id, team, day, created_by, members FROM mdt_meetings WHERE id = ?", (meeting,)
        )
        if not rows:
            return None
        id_, team, day, by, members = rows[0]
        return {"id": id_, "team": team, "day": day, "created_by": by,
                "members": json.loads(members)}  # fmt: skip

    def meetings(self, teams: tuple[str, ...]) -> list[dict]:
        rows = self._run("SELECT id, team FROM mdt_meetings ORDER BY day DESC, id DESC")
        return [self.meeting(i) for i, team in rows if team in teams]

    def record_outcome(
        self, meeting: int, person: str, outcome: str, lead: str | None, user: str,
        actions: list[dict],
    ) -> int:  # fmt: skip
        outcome_id = self._insert(
            "INSERT INTO mdt_outcomes (meeting, person, outcome, lead, by_user, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (meeting, person, _text(outcome, "outcome"), lead or None, user, now().isoformat()),
        )
        for a in actions:
            self._run(
                "INSERT INTO actions (outcome, person, action, owner, due) VALUES (?, ?, ?, ?, ?)",
                (outcome_id, person, _text(a.get("action"), "action"),
                 _text(a.get("owner"), "owner"), _day(a.get("due"), "due")),
            )  # fmt: skip
        return outcome_id

    def mdt_history(self, person: str) -> list[dict]:
        rows = self._run(
            "SELECT o.id, m.team, m.day, o.outcome, o.lead, o.by_user FROM mdt_outcomes o"
            " JOIN mdt_meetings m ON m.id = o.meeting WHERE o.person = ? ORDER BY m.day, o.id",
            (person,),
        )
        out = []
        for id_, team, day, outcome, lead, by in rows:
            actions = self._run(
                "SELECT action, owner, due FROM actions WHERE outcome = ? ORDER BY id", (id_,)
            )
            out.append({"team": team, "day": day, "outcome": outcome, "lead": lead, "by": by,
                        "actions": [{"action": a, "owner": o, "due": d} for a, o, d in actions]})  # fmt: skip
        return out

    def reviewed_people(self) -> list[tuple[str, str]]:
        """(pseudonym, first MDT review day) of every person an MDT has discussed."""
        return self._run(
            "SELECT o.person, min(m.day) FROM mdt_outcomes o JOIN mdt_meetings m"
            " ON m.id = o.meeting GROUP BY o.person"
        )

    # joint care plans ----------------------------------------------------------------------

    def save_care_plan(self, person: str, user: str, plan: dict) -> int:
        """A new version of the person's plan (earlier versions stay as they were)."""
        for name in CARE_PLAN_REQUIRED:
            _text(plan.get(name), name)
        _day(plan["review_date"], "review_date")
        body = json.dumps({k: (plan.get(k) or "").strip() for k in CARE_PLAN_FIELDS})
        with self._store._lock:
            (latest,) = self._store._con.execute(
                "SELECT coalesce(max(version), 0) FROM care_plans WHERE person = ?", (person,)
            ).fetchone()
            self._store._con.execute(
                "INSERT INTO care_plans VALUES (?, ?, ?, ?, ?)",
                (person, latest + 1, user, now().isoformat(), body),
            )
        return latest + 1

    def care_plans(self, person: str) -> list[dict]:
        rows = self._run(
            "SELECT version, by_user, at, plan FROM care_plans WHERE person = ? ORDER BY version",
            (person,),
        )
        return [{"version": v, "by": b, "at": a, **json.loads(p)} for v, b, a, p in rows]

    def people_with_plan(self, day: dt.date) -> set[str]:
        """People whose latest plan has a lead professional and a review date not yet passed."""
        rows = self._run(
            "SELECT person, plan FROM care_plans c WHERE version ="
            " (SELECT max(version) FROM care_plans d WHERE d.person = c.person)"
        )
        return {
            person
            for person, body in rows
            if (plan := json.loads(body))["lead_professional"]
            and plan["review_date"] >= day.isoformat()
        }


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
