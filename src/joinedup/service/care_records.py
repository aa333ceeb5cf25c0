"""A person's rows for tier I, fast (issue 11: the person page at 175,000 people).

What a person page needs of the warehouse (the rows of every tier I feed, and the person's
`gp_register`, `risk_scores` and `objections` rows, which the relationship, the risk panel and the
DIRECT objection need) is kept per warehouse snapshot as one zlib-compressed JSON document per
person in memory: a page then costs one dictionary look-up instead of a query over 15 tables
(each of them a scan of a row group, about 1-2 ms of CPU apiece). The documents are built in the
background on the first tier I request of a snapshot, in hash partitions of pseudonyms so that
the build's memory stays bounded; until they are ready, the same rows come from the warehouse's
tables by SQL. An older snapshot's documents are dropped once a newer one's are ready.

The documents hold the same pseudonymised rows as the warehouse, no identifier.
"""

from __future__ import annotations

import json
import threading
import weakref
import zlib

from joinedup.governance.separation import TIER_I_FEEDS
from joinedup.warehouse import pseudonyms

TABLES = ("gp_register", *TIER_I_FEEDS, "risk_scores", "objections")
FACT_TABLES = ("gp_register", "acute_apc", "social_care_events")  # the relationship's facts
PARTITIONS = 8  # the build holds 1/8 of the documents uncompressed at a time


class Documents:
    """One snapshot's documents: pseudonym -> two compressed JSON {table: [[values], ...]}, one
    of FACT_TABLES (the worklist reads only those, for hundreds of people) and one of the rest."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = columns  # table -> its columns (pseudo_id, shown as the pseudonym, not stored)
        self.by_person: dict[str, list[bytes | None]] = {}

    def rows(self, person: str, tables: tuple[str, ...] | None) -> dict[str, list[dict]]:
        wanted = [t for t in self.columns if tables is None or t in tables]
        stored: dict[str, list] = {}
        for part, blob in enumerate(self.by_person.get(person, ())):
            if blob is not None and any(_part(t) == part for t in wanted):
                stored.update(json.loads(zlib.decompress(blob)))
        return {t: [_row(self.columns[t], person, v) for v in stored.get(t, ())] for t in wanted}


def _part(table: str) -> int:
    return 0 if table in FACT_TABLES else 1


def _row(columns: list[str], person: str, values: list) -> dict:
    given = iter(values)
    return {c: person if c == "pseudo_id" else next(given) for c in columns}


def table_columns(con) -> dict[str, list[str]]:
    """The columns of each of TABLES the snapshot has (in table order)."""
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'store'"
        " AND table_name IN (SELECT unnest(?)) ORDER BY table_name, column_index",
        [list(TABLES)],
    ).fetchall():
        out.setdefault(table, []).append(column)
    return {t: out[t] for t in TABLES if t in out and "pseudo_id" in out[t]}


def _values(columns: list[str]) -> str:
    return "json_array(" + ", ".join(f'"{c}"' for c in columns if c != "pseudo_id") + ")"


def build(con, columns: dict[str, list[str]]) -> Documents:
    """Every person's document, one hash partition of pseudonyms at a time."""
    documents = Documents(columns)
    union = " UNION ALL ".join(
        f"SELECT pseudo_id, '{t}' AS t, {_part(t)} AS g, rowid AS r,"
        f" CAST({_values(cols)} AS VARCHAR) AS v"
        f" FROM store.{t} WHERE hash(pseudo_id) % {PARTITIONS} = $1"
        for t, cols in columns.items()
    )
    sql = (
        "SELECT n.pseudonym, g, '{' || string_agg('\"' || t || '\":' || vs, ',') || '}' FROM"
        f" (SELECT pseudo_id, g, t, '[' || string_agg(v, ',' ORDER BY r) || ']' AS vs FROM"
        f" ({union}) GROUP BY pseudo_id, g, t) JOIN store.{pseudonyms.TABLE} n USING (pseudo_id)"
        " GROUP BY n.pseudonym, g"
    )
    for part in range(PARTITIONS):
        result = con.execute(sql, [part])
        while batch := result.fetchmany(20_000):
            for person, group, document in batch:
                blobs = documents.by_person.setdefault(person, [None, None])
                blobs[group] = zlib.compress(document.encode(), 1)
    return documents


def from_tables(
    con, columns: dict[str, list[str]], people: list[str], tables: tuple[str, ...] | None
) -> dict[str, dict]:
    """The same rows read from the warehouse's tables (before the documents are ready), in
    the same order (the tables')."""
    columns = {t: c for t, c in columns.items() if tables is None or t in tables}
    union = " UNION ALL ".join(
        f"SELECT pseudo_id, '{t}' AS t, rowid AS r, CAST(to_json(x) AS VARCHAR) AS v"
        f" FROM store.{t} x WHERE pseudo_id IN (SELECT pseudo_id FROM store.{pseudonyms.TABLE}"
        " WHERE pseudonym IN (SELECT unnest($1)))"
        for t in columns
    )
    out = {p: {t: [] for t in columns} for p in people}
    sql = (
        f"SELECT n.pseudonym, t, v FROM ({union}) JOIN store.{pseudonyms.TABLE} n"
        " USING (pseudo_id) ORDER BY t, r"
    )
    for person, table, body in con.execute(sql, [list(people)]).fetchall():
        out[person][table].append(json.loads(body) | {"pseudo_id": person})  # as the documents
    return out


class PersonRows:
    """The documents of the current snapshot, built once per snapshot in the background (not
    at all with `background=False`: a one-shot process reads the tables)."""

    def __init__(self, background: bool = True) -> None:
        self.background = background
        self._lock = threading.Lock()
        # snapshot version -> its documents, or "building", or "failed" (read the tables)
        self._state: dict[int, Documents | str] = {}

    def rows(self, snap, people: list[str], tables) -> dict[str, dict[str, list[dict]]]:
        """{pseudonym: {table: [row dict]}} for these people, in the snapshot `snap`."""
        documents = self._documents(snap)
        if isinstance(documents, Documents):
            return {p: documents.rows(p, tables) for p in people}
        columns = snap.cached("care_record_columns", table_columns)
        return from_tables(snap.con, columns, people, tables)

    def _documents(self, snap) -> Documents | str:
        with self._lock:
            state = self._state.get(snap.version)
            if state is None and not self.background:
                return "tables"
            if state is None:
                self._state[snap.version] = state = "building"
                reader = snap.reader
                threading.Thread(
                    target=self._build, args=(reader, snap.version), daemon=True
                ).start()
            return state

    def _build(self, reader, version: int) -> None:
        try:
            with reader.connection() as snap:
                if snap.version != version:
                    raise LookupError  # replaced meanwhile: the next request builds the new one
                documents = build(snap.con, table_columns(snap.con))
        except Exception:  # noqa: BLE001  (requests keep reading the tables; a new snapshot retries)
            with self._lock:
                self._state[version] = "failed"
            return
        with self._lock:
            for stale in [v for v in self._state if v < version]:
                del self._state[stale]  # an older snapshot's documents are never read again
            self._state[version] = documents


_per_reader: weakref.WeakKeyDictionary = (
    weakref.WeakKeyDictionary()
)  # a service's reader -> PersonRows
_per_reader_lock = threading.Lock()


def rows_of(
    snap, people: list[str], tables: tuple[str, ...] | None = None
) -> dict[str, dict[str, list[dict]]]:
    """{pseudonym: {table: [row dict]}} of these people in the request's snapshot (of every
    table of TABLES the warehouse has, or of `tables`)."""
    with _per_reader_lock:
        found = _per_reader.setdefault(snap.reader, PersonRows())
    return found.rows(snap, people, tables)


def from_tables_only(reader) -> None:
    """This reader's person rows always from the tables (a one-shot command, no build)."""
    with _per_reader_lock:
        _per_reader[reader] = PersonRows(background=False)
