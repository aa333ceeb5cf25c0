"""Retention and destruction (DESIGN.md "Retention", GOVERNANCE.md "retention").

A person-level row expires when its event date is more than its feed's retention period (the
register's `retention.feeds`, default 8 years) before the as-of day. Its event date is the latest
of its own dates; a row whose episode is still open (the end of its feed's first `order` pair is
empty: a registration, a condition, an objection, an open spell or service) has none and never
expires. Destruction then removes, in one transaction per store:
- warehouse: the expired rows, people left with no row, risk scores of an index date past the
  shortest period or of removed people, and the marts rebuilt from what remains; the cut-off of
  every feed is kept (`retention_cutoffs`) so that a later load skips expired rows;
- vault: the identities (people, identifier records, review queue) of people with no remaining
  row, and quarantined raw rows whose load is older than `retention.quarantine_days`.
Each run appends a destruction record (policy version, per feed rows and people removed; counts
only) to `<warehouse>.destruction.jsonl`, a hash-chained file no run rewrites.

A run killed part way is finished by the next: the warehouse transaction (a `store.writing` copy
put in place at the end) keeps the run's counts in `retention_runs`, and a run there but not in the
record is pending; the vault's part (`Vault.destroy`) is done once per run id; the record is
appended once.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from joinedup import contract
from joinedup.contract import Feed
from joinedup.governance.chained import ChainedLines
from joinedup.landing.rules import literal, quote
from joinedup.warehouse import pseudonyms, store

CUTOFFS = "retention_cutoffs"
RUNS = (
    "retention_runs"  # in the warehouse: every run's counts; a run not yet in the record is pending
)


@dataclass(frozen=True)
class Policy:
    version: str  # the register's SHA-256
    years: dict[str, int]  # feed -> years kept after the event date
    quarantine_days: int
    vault_key_file: Path | None = None  # the register's, for an encrypted vault

    @classmethod
    def from_register(cls, path: str | Path) -> Policy:
        from joinedup.governance.register import load_register

        register = load_register(path)
        return cls(
            register.sha256,
            dict(register.retention_years),
            register.quarantine_days,
            register.vault_key_file,
        )

    def cutoffs(self, as_of: dt.date) -> dict[str, dt.date]:
        """Per feed, the first event date kept."""
        return {feed.name: years_before(as_of, self.years[feed.name]) for feed in retained_feeds()}


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retained_feeds() -> list[Feed]:
    """Person-level feeds whose rows carry a date of their own."""
    return [f for f in contract.feeds().values() if f.is_person_level and _dates(f)]


def _dates(feed: Feed) -> list[str]:
    return [
        c.name for c in feed.columns if c.base_type in ("date", "datetime") and not c.identifying
    ]


# A register entry has no end of its own: it lasts until the person's death.
UNTIL_DEATH = {
    "eol_register": "(SELECT max(d.date_of_death) FROM deaths d WHERE d.pseudo_id = eol_register.pseudo_id)"
}


def event_date_sql(feed: Feed, typed: bool = True) -> str:
    """The row's event date (NULL while its episode is open), over the warehouse's typed columns
    or, with typed=False, over landing's staged text columns (where a register entry, whose
    person is not known yet, is never taken as expired)."""
    if feed.name in UNTIL_DEATH:
        return UNTIL_DEATH[feed.name] if typed else "NULL::DATE"

    def as_date(name: str) -> str:
        if typed:
            return f"CAST({quote(name)} AS DATE)"
        return f"TRY_CAST(left({quote(name)}, 10) AS DATE)"

    latest = f"greatest({', '.join(as_date(c) for c in _dates(feed))})"
    if not feed.order:
        return latest
    return f"CASE WHEN {quote(feed.order[0][1])} IS NULL THEN NULL ELSE {latest} END"


def expired_sql(feed: Feed, cutoff: dt.date, typed: bool = True) -> str:
    return f"{event_date_sql(feed, typed)} < DATE {literal(cutoff.isoformat())}"


def record_path(warehouse_path: str | Path) -> Path:
    path = Path(warehouse_path)
    return path.with_name(path.name + ".destruction.jsonl")


def destruction_record(warehouse_path: str | Path) -> ChainedLines:
    return ChainedLines(record_path(warehouse_path), "destruction record")


# --- what has expired (read only) ---------------------------------------------------------------


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _live_people_sql(feeds: list[Feed], keep: dict[str, str]) -> str:
    """Pseudo ids with at least one row left (`keep`: feed -> condition of a kept row)."""
    return " UNION ".join(
        f"SELECT pseudo_id FROM {quote(f.name)} WHERE pseudo_id IS NOT NULL AND ({keep[f.name]})"
        for f in feeds
    )


def expired_rows(con, cutoffs: dict[str, dt.date]) -> dict[str, dict]:
    """Per feed present in the warehouse: cutoff, rows expired and people whose last row in the
    feed has expired."""
    present = _tables(con)
    out = {}
    for feed in retained_feeds():
        if feed.name not in present:
            continue
        expired = expired_sql(feed, cutoffs[feed.name])
        rows, people = con.execute(
            f"SELECT count(*) FILTER (WHERE {expired}), count(DISTINCT pseudo_id)"
            f" - count(DISTINCT pseudo_id) FILTER (WHERE NOT coalesce({expired}, false))"
            f" FROM {quote(feed.name)}"
        ).fetchone()
        out[feed.name] = {"cutoff": cutoffs[feed.name].isoformat(), "rows": rows, "people": people}
    return out


def _people_expiring(con, cutoffs: dict[str, dt.date]) -> int:
    """People all of whose rows expire (their `person` row goes too)."""
    feeds = _present_feeds(con)
    keep = {f.name: f"NOT coalesce({expired_sql(f, cutoffs[f.name])}, false)" for f in feeds}
    return con.execute(
        f"SELECT count(*) FROM person WHERE pseudo_id NOT IN ({_live_people_sql(feeds, keep)})"
    ).fetchone()[0]


def expired_quarantine_files(con, as_of: dt.date, days: int) -> list[str]:
    """SHA-256 of the files whose load's as-of day is more than `days` before `as_of`."""
    if not {"loads", "load_files"} <= _tables(con):
        return []
    rows = con.execute(
        "SELECT DISTINCT f.sha256 FROM load_files f JOIN loads l USING (load_id) WHERE l.as_of < ?",
        [as_of - dt.timedelta(days=days)],
    ).fetchall()
    return [r[0] for r in rows]


# --- the two transactions -----------------------------------------------------------------------


def _present_feeds(con) -> list[Feed]:
    """Retained feeds in the warehouse; those whose event date is another feed's first, so that
    every deletion is judged on the rows as they were."""
    present = _tables(con)
    feeds = [f for f in retained_feeds() if f.name in present]
    return sorted(feeds, key=lambda f: f.name not in UNTIL_DEATH)


def destroy_warehouse(con, policy: Policy, as_of: dt.date, rebuild_marts: bool = True) -> dict:
    """Delete what has expired, in one transaction; returns the run's pending record."""
    cutoffs = policy.cutoffs(as_of)
    feeds = _present_feeds(con)
    con.execute("BEGIN TRANSACTION")
    try:
        per_feed = expired_rows(con, cutoffs)
        people = _people_expiring(con, cutoffs)
        for feed in feeds:
            expired = expired_sql(feed, cutoffs[feed.name])
            con.execute(f"DELETE FROM {quote(feed.name)} WHERE {expired}")
        con.execute(f"DELETE FROM person WHERE pseudo_id NOT IN ({_live_sql(con)})")
        con.execute(f"DELETE FROM {pseudonyms.TABLE} WHERE pseudo_id NOT IN ({_live_sql(con)})")
        scores = _trim_risk_scores(con, max(cutoffs.values()))
        if rebuild_marts and "person_event" in _tables(con):
            from joinedup.marts.build import write_marts

            write_marts(con)
        _keep_cutoffs(con, cutoffs)
        record = {
            "run": uuid.uuid4().hex,
            "as_of": as_of.isoformat(),
            "policy_version": policy.version,
            "retention_years": policy.years,
            "quarantine_days": policy.quarantine_days,
            "feeds": per_feed,
            "people_removed": people,
            "risk_scores_removed": scores,
        }
        con.execute(f"CREATE TABLE IF NOT EXISTS {RUNS} (run VARCHAR, record VARCHAR)")
        con.execute(f"INSERT INTO {RUNS} VALUES (?, ?)", [record["run"], json.dumps(record)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return record


def _trim_risk_scores(con, newest_cutoff: dt.date) -> int:
    """Scores are derived from every feed: kept only while all their inputs may be kept."""
    if "risk_scores" not in _tables(con):
        return 0
    where = "index_date < ? OR pseudo_id NOT IN (SELECT pseudo_id FROM person)"
    removed = con.execute(
        f"SELECT count(*) FROM risk_scores WHERE {where}", [newest_cutoff]
    ).fetchone()
    con.execute(f"DELETE FROM risk_scores WHERE {where}", [newest_cutoff])
    return removed[0]


def _keep_cutoffs(con, cutoffs: dict[str, dt.date]) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {CUTOFFS} (feed VARCHAR, cutoff DATE)")
    for feed, cutoff in cutoffs.items():
        old = con.execute(f"SELECT max(cutoff) FROM {CUTOFFS} WHERE feed = ?", [feed]).fetchone()[0]
        if old is None or old < cutoff:
            con.execute(f"DELETE FROM {CUTOFFS} WHERE feed = ?", [feed])
            con.execute(f"INSERT INTO {CUTOFFS} VALUES (?, ?)", [feed, cutoff])


def cutoffs_in(con) -> dict[str, dt.date]:
    """The cut-off of every feed a destruction has run on (empty before the first)."""
    if CUTOFFS not in _tables(con):
        return {}
    return dict(con.execute(f"SELECT feed, cutoff FROM {CUTOFFS}").fetchall())


def _live_sql(con) -> str:
    feeds = _present_feeds(con)
    return _live_people_sql(feeds, {f.name: "true" for f in feeds})


def live_pseudo_ids(con) -> pa.Table:
    """The pseudonym of everybody with a row left."""
    return con.sql(
        f"SELECT p.pseudonym AS pseudo_id FROM ({_live_sql(con)}) l JOIN {pseudonyms.TABLE} p"
        " USING (pseudo_id)"
    ).to_arrow_table()


def _pending(con, recorded: set[str]) -> dict | None:
    """A run whose warehouse part committed but which is not in the record yet (killed)."""
    if RUNS not in _tables(con):
        return None
    for run, record in con.execute(f"SELECT run, record FROM {RUNS}").fetchall():
        if run not in recorded:
            return json.loads(record)
    return None


# --- the command's two modes --------------------------------------------------------------------


def plan(policy: Policy, warehouse: Path, vault_path: Path, as_of: dt.date) -> dict:
    """What a run would destroy now (read only, counts only)."""
    from joinedup.identity import Vault

    with (
        Vault.open(vault_path, must_exist=True, key_file=policy.vault_key_file) as vault,
        store.reading(warehouse) as con,
    ):
        vault.check_warehouse(con, warehouse)
        cutoffs = policy.cutoffs(as_of)
        per_feed = expired_rows(con, cutoffs)
        people = _people_expiring(con, cutoffs)
        quarantine_files = expired_quarantine_files(con, as_of, policy.quarantine_days)
        quarantine = vault.quarantined_rows(quarantine_files)
    return {
        "as_of": as_of.isoformat(),
        "policy_version": policy.version,
        "feeds": per_feed,
        "people_removed": people,
        "quarantine_rows_destroyed": quarantine,
    }


def apply(policy: Policy, warehouse: Path, vault_path: Path, as_of: dt.date) -> dict:
    """Destroy what has expired and append the destruction record; a run left unfinished by a
    kill is finished instead (and returned with `resumed`)."""
    from joinedup.identity import Vault

    started = time.monotonic()
    log = destruction_record(warehouse)
    with Vault.open(vault_path, must_exist=True, key_file=policy.vault_key_file) as vault:
        recorded = {entry["run"] for entry in log.read()}
        with store.writing(warehouse) as con:  # one transaction: the file is replaced at the end
            vault.check_warehouse(con, warehouse)
            record = _pending(con, recorded)
            resumed = record is not None
            if record is None:
                record = destroy_warehouse(con, policy, as_of)
            live = live_pseudo_ids(con)
            days, day = record["quarantine_days"], dt.date.fromisoformat(record["as_of"])
            files = expired_quarantine_files(con, day, days)
        record = {**record, **vault.destroy(live, files, record["run"])}
        log.append({**record, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return {**record, "resumed": resumed, "seconds": round(time.monotonic() - started, 2)}
