"""Direct care's operational data in the service store S (never in the warehouse): caseload
entries, referrals, MDT meetings with their members, per-person outcomes with the accountable
lead professional, actions with owner and due date, joint care plans (every version kept, none
overwritten), break-glass uses and their review.

Rows are keyed by the vault's person key, which never changes: a key rotation changes every
pseudonym but orphans nothing here. The handlers translate pseudonyms at the edges
(`identity.directory`) and audit every read and write with the rule that allowed it. A store
written before person keys (rows keyed by pseudonym) is migrated when the service starts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from joinedup.errors import BadInput, StoreError
from joinedup.governance.relationships import BreakGlass, CaseloadEntry
from joinedup.identity.directory import Directory
from joinedup.service.store import ServiceStore, now

# table -> its columns; `person_key` is the vault's person key (a pseudonym only at the edges)
TABLES = {
    "caseload": "id INTEGER PRIMARY KEY, person_key INTEGER NOT NULL, team TEXT NOT NULL,"
    " accepted TEXT NOT NULL, accepted_by TEXT NOT NULL, reason TEXT NOT NULL, closed TEXT,"
    " closed_by TEXT",
    "contacts": "person_key INTEGER NOT NULL, team TEXT NOT NULL, day TEXT NOT NULL,"
    " user_id TEXT NOT NULL, kind TEXT NOT NULL",
    "referrals": "id INTEGER PRIMARY KEY, person_key INTEGER NOT NULL, team TEXT NOT NULL,"
    " by_user TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL",
    "mdt_meetings": "id INTEGER PRIMARY KEY, team TEXT NOT NULL, day TEXT NOT NULL,"
    " created_by TEXT NOT NULL, members TEXT NOT NULL",
    "mdt_outcomes": "id INTEGER PRIMARY KEY, meeting INTEGER NOT NULL,"
    " person_key INTEGER NOT NULL, outcome TEXT NOT NULL, lead TEXT, by_user TEXT NOT NULL,"
    " at TEXT NOT NULL",
    "actions": "id INTEGER PRIMARY KEY, outcome INTEGER NOT NULL, person_key INTEGER NOT NULL,"
    " action TEXT NOT NULL, owner TEXT NOT NULL, due TEXT NOT NULL",
    "care_plans": "person_key INTEGER NOT NULL, version INTEGER NOT NULL, by_user TEXT NOT NULL,"
    " at TEXT NOT NULL, plan TEXT NOT NULL, PRIMARY KEY (person_key, version)",
    "break_glass": "id INTEGER PRIMARY KEY, person_key INTEGER NOT NULL, user_id TEXT NOT NULL,"
    " day TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL, reviewed_by TEXT,"
    " reviewed_at TEXT",
}
# rows of a store written before person keys whose pseudonym the vault no longer knows
UNMAPPED = "CREATE TABLE IF NOT EXISTS care_unmapped (tbl TEXT NOT NULL, row TEXT NOT NULL)"
CARE_PLAN_FIELDS = ("goals", "interventions", "anticipatory_plan", "crisis_plan",
                    "preferred_place_of_care", "preferred_place_of_death", "review_date",
                    "lead_professional")  # fmt: skip
CARE_PLAN_REQUIRED = ("goals", "lead_professional", "review_date")
PERSON_TABLES = tuple(t for t, columns in TABLES.items() if "person_key" in columns)


def _day(value: str, what: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise BadInput(f"{what}: expected a date (YYYY-MM-DD)") from None


def _text(value: str | None, what: str) -> str:
    if not value or not value.strip():
        raise BadInput(f"{what}: required")
    return value.strip()


def _marks(values) -> str:
    return ",".join("?" * len(values))


class CareStore:
    """The direct-care tables, on the service store's connection and lock; `directory` maps
    pseudonyms to person keys (None: no vault, tier I cannot be served)."""

    def __init__(
        self, store: ServiceStore, vault: Path | None = None, key_file: Path | None = None
    ) -> None:
        self._store = store
        self.directory = Directory(vault, key_file) if vault is not None else None
        self._merges_seen = 0
        with store._lock:
            con = store._con
            old = [t for t in PERSON_TABLES if "person" in _columns(con, t)]
            for table, columns in TABLES.items():
                if table not in old:
                    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
            con.execute(UNMAPPED)
        self.migrated = self._migrate(old) if old else {}  # rows re-keyed per table

    def _run(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._store._run(sql, params)

    def _insert(self, sql: str, params: tuple) -> int:
        with self._store._lock:
            return int(self._store._con.execute(sql, params).lastrowid)

    # person keys ---------------------------------------------------------------------------

    def _migrate(self, tables: list[str]) -> dict[str, int]:
        """Re-key the tables of a store written before person keys (column `person`, a
        pseudonym) by person key; a row whose pseudonym the vault does not know is kept aside
        in `care_unmapped`. Rows migrated per table."""
        if self.directory is None:
            raise StoreError("the service store holds care rows by pseudonym: serve it with its vault")
        out = {}
        with self._store._lock:
            con = self._store._con
            for table in tables:
                out[table] = _rekey(con, table, self.directory.person_keys)
        return out

    def follow_merges(self) -> None:
        """When review merged a person into another, their rows follow to the surviving key."""
        if self.directory is None:
            return
        version, merged = self.directory.merged()
        if version == self._merges_seen:
            return
        with self._store._lock:
            for old, new in merged.items():
                for table in PERSON_TABLES:
                    self._store._con.execute(
                        f"UPDATE OR IGNORE {table} SET person_key = ? WHERE person_key = ?", (new, old)
                    )
        self._merges_seen = version

    # caseload and contacts -------------------------------------------------------------------

    def add_to_caseload(self, person: int, team: str, user: str, reason: str, day: dt.date) -> int:
        return self._insert(
            "INSERT INTO caseload (person_key, team, accepted, accepted_by, reason)"
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

    def record_contact(self, person: int, team: str, user: str, kind: str, day: dt.date) -> None:
        self._run(
            "INSERT INTO contacts VALUES (?, ?, ?, ?, ?)",
            (person, team, day.isoformat(), user, kind),
        )

    def caseload_entries(self, person: int) -> tuple[CaseloadEntry, ...]:
        return self.caseload_entries_of([person]).get(person, ())

    def caseload_entries_of(self, people: list[int]) -> dict[int, tuple[CaseloadEntry, ...]]:
        """Each person's caseload entries (one query for them all)."""
        if not people:
            return {}
        rows = self._run(
            "SELECT c.person_key, c.team, c.accepted, c.reason, c.closed, (SELECT max(day) FROM"
            " contacts k WHERE k.person_key = c.person_key AND k.team = c.team) FROM caseload c"
            f" WHERE c.person_key IN ({_marks(people)}) ORDER BY c.id",
            tuple(people),
        )
        out: dict[int, list] = {}
        for person, team, accepted, reason, closed, last in rows:
            entry = CaseloadEntry(team, _date(accepted), reason, _date(closed), _date(last))
            out.setdefault(person, []).append(entry)
        return {p: tuple(e) for p, e in out.items()}

    def caseload_people(self, teams: tuple[str, ...]) -> list[int]:
        if not teams:
            return []
        return [
            p
            for (p,) in self._run(
                "SELECT DISTINCT person_key FROM caseload WHERE team IN"
                f" ({_marks(teams)}) AND closed IS NULL",
                teams,
            )
        ]

    # break glass ---------------------------------------------------------------------------

    def break_glass(self, person: int, user: str, reason: str, day: dt.date) -> int:
        return self._insert(
            "INSERT INTO break_glass (person_key, user_id, day, at, reason)"
            " VALUES (?, ?, ?, ?, ?)",
            (person, user, day.isoformat(), now().isoformat(), _text(reason, "reason")),
        )

    def break_glass_of(self, people: list[int]) -> dict[int, tuple[BreakGlass, ...]]:
        if not people:
            return {}
        rows = self._run(
            "SELECT person_key, user_id, day, reason FROM break_glass"
            f" WHERE person_key IN ({_marks(people)})",
            tuple(people),
        )
        out: dict[int, list] = {}
        for person, u, d, r in rows:
            out.setdefault(person, []).append(BreakGlass(u, _date(d), r))
        return {p: tuple(b) for p, b in out.items()}

    def break_glass_alerts(self, open_only: bool = True) -> list[dict]:
        """Break-glass uses for the IG lead: who, when, the reason, and the person by today's
        pseudonym (never the identity)."""
        rows = self._run(
            "SELECT id, person_key, user_id, at, reason, reviewed_by, reviewed_at FROM break_glass"
            + (" WHERE reviewed_at IS NULL" if open_only else "")
            + " ORDER BY id"
        )
        names = self.directory.pseudonyms([r[1] for r in rows]) if self.directory else {}
        keys = ("id", "pseudonym", "user", "at", "reason", "reviewed_by", "reviewed_at")
        return [dict(zip(keys, (r[0], names.get(r[1], "(unknown)"), *r[2:]), strict=True))
                for r in rows]  # fmt: skip

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

    def refer(self, person: int, team: str, user: str, reason: str) -> int:
        return self._insert(
            "INSERT INTO referrals (person_key, team, by_user, at, reason) VALUES (?, ?, ?, ?, ?)",
            (person, team, user, now().isoformat(), _text(reason, "reason")),
        )

    def referrals(self, team: str) -> list[dict]:
        """The team's open referrals (not yet discussed at one of its MDT meetings)."""
        rows = self._run(
            "SELECT r.id, r.person_key, r.by_user, r.at, r.reason FROM referrals r"
            " WHERE r.team = ? AND NOT EXISTS (SELECT 1 FROM mdt_outcomes o JOIN mdt_meetings m"
            " ON m.id = o.meeting WHERE o.person_key = r.person_key AND m.team = r.team"
            " AND o.at >= r.at) ORDER BY r.id",
            (team,),
        )
        keys = ("id", "person_key", "by", "at", "reason")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def referred(self, person: int, team: str) -> bool:
        return any(r["person_key"] == person for r in self.referrals(team))

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

    def meetings(self, teams: tuple[str, ...], user: str) -> list[dict]:
        """Meetings of `teams` or with `user` among the members, latest first."""
        rows = self._run("SELECT id FROM mdt_meetings ORDER BY day DESC, id DESC")
        found = [self.meeting(i) for (i,) in rows]
        return [m for m in found if m["team"] in teams or user in m["members"]]

    def outcomes_of(self, meeting: int) -> list[dict]:
        rows = self._run(
            "SELECT id, person_key, outcome, lead, by_user FROM mdt_outcomes WHERE meeting = ?"
            " ORDER BY id",
            (meeting,),
        )
        return [{**dict(zip(("id", "person_key", "outcome", "lead", "by"), r, strict=True)),
                 "actions": self._actions(r[0])} for r in rows]  # fmt: skip

    def record_outcome(
        self, meeting: int, person: int, outcome: str, lead: str | None, user: str,
        actions: list[dict],
    ) -> int:  # fmt: skip
        checked = [(_text(a.get("action"), "action"), _text(a.get("owner"), "owner"),
                    _day(a.get("due"), "due")) for a in actions]  # fmt: skip
        outcome_id = self._insert(
            "INSERT INTO mdt_outcomes (meeting, person_key, outcome, lead, by_user, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (meeting, person, _text(outcome, "outcome"), lead or None, user, now().isoformat()),
        )
        for action, owner, due in checked:
            self._run(
                "INSERT INTO actions (outcome, person_key, action, owner, due)"
                " VALUES (?, ?, ?, ?, ?)",
                (outcome_id, person, action, owner, due),
            )
        return outcome_id

    def _actions(self, outcome: int) -> list[dict]:
        rows = self._run(
            "SELECT action, owner, due FROM actions WHERE outcome = ? ORDER BY id", (outcome,)
        )
        return [{"action": a, "owner": o, "due": d} for a, o, d in rows]

    def mdt_history(self, person: int) -> list[dict]:
        rows = self._run(
            "SELECT o.id, m.id, m.team, m.day, o.outcome, o.lead, o.by_user FROM mdt_outcomes o"
            " JOIN mdt_meetings m ON m.id = o.meeting WHERE o.person_key = ? ORDER BY m.day, o.id",
            (person,),
        )
        return [{"meeting": meeting, "team": team, "day": day, "outcome": outcome, "lead": lead,
                 "by": by, "actions": self._actions(id_)}
                for id_, meeting, team, day, outcome, lead, by in rows]  # fmt: skip

    def reviewed_people(self) -> list[tuple[int, str]]:
        """(person key, first MDT review day) of every person an MDT has discussed."""
        return self._run(
            "SELECT o.person_key, min(m.day) FROM mdt_outcomes o JOIN mdt_meetings m"
            " ON m.id = o.meeting GROUP BY o.person_key"
        )

    # joint care plans ----------------------------------------------------------------------

    def save_care_plan(self, person: int, user: str, plan: dict) -> int:
        """A new version of the person's plan (earlier versions stay as they were)."""
        for name in CARE_PLAN_REQUIRED:
            _text(plan.get(name), name)
        _day(plan["review_date"], "review_date")
        body = json.dumps({k: (plan.get(k) or "").strip() for k in CARE_PLAN_FIELDS})
        with self._store._lock:
            (latest,) = self._store._con.execute(
                "SELECT coalesce(max(version), 0) FROM care_plans WHERE person_key = ?", (person,)
            ).fetchone()
            self._store._con.execute(
                "INSERT INTO care_plans VALUES (?, ?, ?, ?, ?)",
                (person, latest + 1, user, now().isoformat(), body),
            )
        return latest + 1

    def care_plans(self, person: int) -> list[dict]:
        rows = self._run(
            "SELECT version, by_user, at, plan FROM care_plans WHERE person_key = ?"
            " ORDER BY version",
            (person,),
        )
        return [{"version": v, "by": b, "at": a, **json.loads(p)} for v, b, a, p in rows]

    def people_with_plan(self, day: dt.date) -> set[int]:
        """People whose latest plan has a lead professional and a review date not yet passed."""
        rows = self._run(
            "SELECT person_key, plan FROM care_plans c WHERE version ="
            " (SELECT max(version) FROM care_plans d WHERE d.person_key = c.person_key)"
        )
        return {
            person
            for person, body in rows
            if (plan := json.loads(body))["lead_professional"]
            and plan["review_date"] >= day.isoformat()
        }


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _columns(con, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})").fetchall()]


def _rekey(con, table: str, to_keys: Callable[[list[str]], dict[str, int]]) -> int:
    """Rebuild `table` keyed by person key from its pseudonym-keyed rows (one transaction)."""
    names = _columns(con, table)
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    at = names.index("person")
    mapping = to_keys(sorted({r[at] for r in rows}))
    con.execute("BEGIN")
    try:
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_by_pseudonym")
        con.execute(f"CREATE TABLE {table} ({TABLES[table]})")
        moved = 0
        for row in rows:
            values = dict(zip(names, row, strict=True))
            pseudonym = values.pop("person")
            if pseudonym not in mapping:
                con.execute("INSERT INTO care_unmapped VALUES (?, ?)", (table, json.dumps(row)))
                continue
            values["person_key"] = mapping[pseudonym]
            con.execute(
                f"INSERT INTO {table} ({', '.join(values)}) VALUES ({_marks(values)})",
                tuple(values.values()),
            )
            moved += 1
        con.execute(f"DROP TABLE {table}_by_pseudonym")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return moved
