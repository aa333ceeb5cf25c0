"""The identity vault: a DuckDB file, separate from the warehouse, holding every identifier.

Identity owns `people`, `identifier_records` and `review_queue`; landing owns `quarantine`.
Only this module and its linkage engine (vault_linkage.py, which it alone calls) touch them.
The pseudonymisation key is not in here (see keys.py). With a vault key the file is encrypted
(encryption.py).

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup import duck
from joinedup.errors import StoreError
from joinedup.identity import encryption, keys, vault_linkage
from joinedup.identity.probabilistic import UPPER_THRESHOLD
from joinedup.identity.vault_linkage import refresh_people
from joinedup.keyed_hash import compact_sql
from joinedup.warehouse import store

# What `Vault.resolve` takes (one identifier record a row) and the variable naming its model's
# parameters: the linkage engine's, public here because the engine is the vault's own.
RECORD_SCHEMA = vault_linkage.RECORD_SCHEMA
PARAMETERS_VARIABLE = vault_linkage.PARAMETERS_VARIABLE

SCHEMA = [
    # One row per person: the key (stable forever, never reused) and the canonical identity,
    # from the PDS-traced gp_register where the person is registered. A provisional person
    # merged into another by review keeps its row, with merged_into set.
    """CREATE TABLE IF NOT EXISTS people (
        person_key BIGINT NOT NULL,
        nhs_number VARCHAR,
        given_name VARCHAR,
        family_name VARCHAR,
        date_of_birth DATE,
        sex VARCHAR,
        postcode VARCHAR,
        identity_feed VARCHAR,
        merged_into BIGINT
    )""",
    # Every distinct identifier record landing has sent, with the answer it was given.
    """CREATE TABLE IF NOT EXISTS identifier_records (
        record_id VARCHAR NOT NULL,
        feed VARCHAR NOT NULL,
        nhs_number VARCHAR,
        nhs_number_valid BOOLEAN NOT NULL,
        given_name VARCHAR,
        family_name VARCHAR,
        date_of_birth DATE,
        sex VARCHAR,
        postcode VARCHAR,
        la_person_id VARCHAR,
        person_key BIGINT NOT NULL,
        link_method VARCHAR NOT NULL,
        match_weight DOUBLE,
        resolved_at TIMESTAMP NOT NULL
    )""",
    # A record scored between the thresholds: held with its best candidate until reviewed.
    """CREATE TABLE IF NOT EXISTS review_queue (
        review_id BIGINT NOT NULL,
        record_id VARCHAR NOT NULL,
        candidate_person_key BIGINT NOT NULL,
        provisional_person_key BIGINT NOT NULL,
        match_weight DOUBLE NOT NULL,
        match_probability DOUBLE NOT NULL,
        status VARCHAR NOT NULL,
        decided_at TIMESTAMP
    )""",
    # Which vault this is and which secrets it was keyed with (fingerprints only, keys.py).
    """CREATE TABLE IF NOT EXISTS vault_meta (
        vault_id VARCHAR NOT NULL,
        key_fingerprint VARCHAR NOT NULL,
        row_key_fingerprint VARCHAR NOT NULL
    )""",
]
# Landing's quarantine. kind: rejected_row (raw_values = the row as sent, reasons = every reason)
# or extra_columns (raw_values = the cells of columns the contract does not name, of an accepted
# row).
QUARANTINE_COLUMNS = (
    "sha256 VARCHAR, file VARCHAR, feed VARCHAR, line BIGINT, kind VARCHAR, raw_values VARCHAR,"
    " reasons VARCHAR"
)
SCHEMA.append(f"CREATE TABLE IF NOT EXISTS quarantine ({QUARANTINE_COLUMNS})")
# Where each landed row came from: the warehouse keeps only its row id, so that a row cannot be
# traced to a sender's file and line without the vault (`joinedup lineage`). row_key is the
# keyed hash of the row's contract key, row_id the row's number in its feed's warehouse table
# (dense, given by the load; NULL for a row of a vault made before row ids that no warehouse
# holds): replacement is decided here on the whole hash, so two keys never share a row.
SCHEMA.append(
    "CREATE TABLE IF NOT EXISTS row_lineage (feed VARCHAR NOT NULL, row_key VARCHAR NOT NULL,"
    " file VARCHAR NOT NULL, line BIGINT NOT NULL, row_id BIGINT)"
)
SCHEMA.append("ALTER TABLE row_lineage ADD COLUMN IF NOT EXISTS row_id BIGINT")
# Senders' record ids as the warehouse holds them: a number (token_id) for each keyed hash of a
# record id (token), the same in every feed. A token a warehouse made before held as the compact
# form of its hash has compact set and token NULL (its hash is not known).
SCHEMA.append(
    "CREATE TABLE IF NOT EXISTS record_tokens (token VARCHAR, compact BIGINT,"
    " token_id BIGINT NOT NULL)"
)
# In the warehouse: the vault and secrets its pseudo_ids and row keys were made with.
BINDING_TABLE = "store_binding"
BINDING_COLUMNS = "vault_id VARCHAR, key_fingerprint VARCHAR, row_key_fingerprint VARCHAR"
# Retention: runs whose vault part is done, and the mark of a person whose identity was destroyed.
RETENTION_RUNS = "retention_runs"
DESTROYED = "destroyed"  # people.identity_feed
IDENTITY_COLUMNS = ("nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode")
OWNER_ONLY = 0o077  # umask while the vault is open: its file and WAL are created 0600

LINK_METHODS = ("nhs_number", "council_id", "probabilistic", "new_person", "held_for_review")
# The held pairs of the review queue: the record's identity beside the candidate's.
HELD_SQL = """
SELECT q.review_id, q.match_weight, q.match_probability, q.candidate_person_key,
    r.feed, r.nhs_number, r.given_name, r.family_name, r.date_of_birth, r.sex, r.postcode,
    p.identity_feed, p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode
FROM review_queue q
JOIN identifier_records r ON r.record_id = q.record_id
JOIN people p ON p.person_key = q.candidate_person_key
WHERE q.status = 'held'
ORDER BY q.review_id
"""

# Records that arrived without a valid NHS number, linked to a person with one (the BCF trace).
TRACE_SQL = """
WITH canonical AS (SELECT person_key, coalesce(merged_into, person_key) AS final FROM people)
SELECT DISTINCT r.la_person_id, p.nhs_number
FROM identifier_records r
JOIN canonical c ON c.person_key = r.person_key
JOIN people p ON p.person_key = c.final
WHERE r.feed IN ({feeds}) AND r.la_person_id IS NOT NULL AND NOT r.nhs_number_valid
  AND r.link_method <> 'held_for_review' AND r.link_method <> 'new_person'
  AND p.nhs_number IS NOT NULL
ORDER BY 1"""

TABLES = ("people", "identifier_records", "review_queue", "quarantine", "row_lineage")
HOLDINGS_SQL = f"""
SELECT p.person_key,
    coalesce({", ".join(f"CAST(p.{c} AS VARCHAR)" for c in IDENTITY_COLUMNS)}) IS NOT NULL,
    (SELECT count(*) FROM identifier_records r WHERE r.person_key = p.person_key)
FROM people p WHERE p.person_key IN (SELECT unnest(?))"""

# A person's current identity: their own row, or that of the person they were merged into.
CURRENT_IDENTITY_SQL = """
SELECT c.person_key, p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.postcode
FROM (SELECT person_key, coalesce(merged_into, person_key) AS final FROM people
      WHERE person_key IN (SELECT unnest(?))) c
JOIN people p ON p.person_key = c.final
WHERE coalesce(p.identity_feed, '') <> 'destroyed'"""


@dataclass(frozen=True, repr=False)
class Identity:
    """A person's current identity (tier I). Its repr shows nothing, so that a stray log line
    or traceback cannot carry it."""

    nhs_number: str | None
    given_name: str | None
    family_name: str | None
    date_of_birth: dt.date | None
    postcode: str | None

    def __repr__(self) -> str:
        return "Identity(<not shown>)"

    def as_dict(self) -> dict:
        name = " ".join(n for n in (self.given_name, self.family_name) if n)
        born = self.date_of_birth.isoformat() if self.date_of_birth else None
        return {"name": name or None, "nhs_number": self.nhs_number, "date_of_birth": born,
                "postcode": self.postcode}  # fmt: skip


def _same(a: str | None, b: str | None) -> bool:
    """Names and postcodes compared without case or spaces."""
    def norm(v: str | None) -> str:
        return "".join((v or "").split()).upper()

    return bool(norm(a)) and norm(a) == norm(b)


class Vault:
    """The identity vault. Open with Vault.open(path); resolve identifier records with resolve()."""

    def __init__(
        self,
        path: Path,
        con: duckdb.DuckDBPyConnection,
        meta: tuple,
        secrets: tuple,
        umask: int,
        seal: encryption.VaultKey | None = None,
    ) -> None:
        self.path = path
        self.con = con
        self.vault_id, self.key_fingerprint, self.row_key_fingerprint = meta
        self._key, self.row_secret = secrets
        self._umask = umask
        self.seal = seal  # the vault key its file and secret files are encrypted with

    @classmethod
    def open(
        cls,
        path: str | Path,
        must_exist: bool = False,
        rotating: bool = False,
        key_file: Path | None = None,
        read_only: bool = False,
        memory_limit: str | None = None,
    ) -> Vault:
        """Open (creating if missing, unless must_exist) the vault and load its secrets.
        `rotating`: rotate-key decides itself what an interrupted rotation left. `key_file`:
        the vault key file the register names (encryption.py). `read_only` (the service's
        identity look-ups): an existing vault, never changed. `memory_limit`: a cap for the
        vault's DuckDB instance (a load's, `duck.load_memory_limit()`); it spills beyond."""
        vault = cls._open(Path(path), must_exist, rotating, key_file, read_only)
        if memory_limit is not None:
            try:
                duck.limit_memory(vault.con, memory_limit)
            except BaseException:
                vault.close()
                raise
        return vault

    @classmethod
    def _open(
        cls, path: Path, must_exist: bool, rotating: bool, key_file: Path | None, read_only: bool
    ) -> Vault:
        if read_only:
            return cls._open_read_only(path, encryption.configured(key_file))
        if must_exist and not path.exists():
            raise StoreError(f"{path}: no identity vault here")
        pending = [Path(f"{keys.key_file_for(path)}.new")]
        if key_file is not None:
            pending.append(encryption.pending_file(key_file))
        for interrupted in pending:
            if interrupted.exists() and not rotating:
                command = "rotate-key" if interrupted == pending[0] else "vault-key rotate"
                raise StoreError(
                    f"{interrupted}: a key rotation was interrupted; run `joinedup {command}`"
                    " again to finish it"
                )
        seal = encryption.configured(key_file)
        umask = os.umask(OWNER_ONLY)
        try:
            con = _connect(path, seal)
            try:
                meta, secrets = _secrets(con, path, check_key=not rotating, seal=seal)
            except BaseException:
                con.close()
                raise
        except BaseException:
            os.umask(umask)
            raise
        return cls(path, con, meta, secrets, umask, seal)

    @classmethod
    def _open_read_only(cls, path: Path, seal: encryption.VaultKey | None) -> Vault:
        con = encryption.connect(seal)
        try:
            meta = _attach_read_only(con, path, seal)
            key = keys.load_secret(keys.PSEUDO_KEY, path, meta[1], False, seal)
        except BaseException:
            con.close()
            raise
        return cls(path, con, meta, (key, b""), -1, seal)

    @classmethod
    @contextmanager
    def attached(
        cls, con: duckdb.DuckDBPyConnection, path: Path, seal: encryption.VaultKey | None
    ) -> Iterator[Vault]:
        """The vault attached read only to an instance the caller keeps (`encryption.connect`)
        for one look-up, and detached after it: the service's identity look-ups start no
        instance and read no key file (its pseudo_id methods are refused). Never close it."""
        meta = _attach_read_only(con, path, seal)
        try:
            yield cls(path, con, meta, (None, b""), -1, seal)
        finally:
            con.execute("USE memory")
            con.execute("DETACH vault")

    def close(self) -> None:
        self.con.close()
        if self._umask >= 0:
            os.umask(self._umask)

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def pseudo_id(self, person_key: int) -> str:
        return keys.pseudo_id(self._key, person_key)

    def pseudo_id_sql(self, person_key: str) -> str:
        """SQL for the pseudo_id of a person key expression (keys.pseudo_id_sql)."""
        return keys.pseudo_id_sql(self._key, person_key)

    def resolve(self, records: pa.Table, progress: bool = False) -> pa.Table:
        """Link each record to a person and return one answer per record, in their order; see
        vault_linkage.py and identity/README.md."""
        with self.resolving(records.to_reader(), progress) as answers:
            return answers.read_all()

    def resolving(self, records: pa.RecordBatchReader, progress: bool = False):
        """`resolve` in bounded memory: a context manager giving a reader of the answers."""
        return vault_linkage.resolving(self.con, self.pseudo_id_sql, records, progress=progress)

    def pseudo_id_table(self, person_keys: list[int]) -> pa.Table:
        ids = keys.pseudo_ids(self._key, person_keys)
        return pa.table(
            {"person_key": pa.array(list(ids), pa.int64()), "pseudo_id": list(ids.values())}
        )

    def person_keys(self) -> list[int]:
        """Every person's key (a destroyed identity's too: keys are never reused)."""
        return [k for (k,) in self.con.execute("SELECT person_key FROM people").fetchall()]

    def quarantined_rows(self, files: list[str]) -> int:
        """How many rows the vault holds in quarantine from the files of these SHA-256s."""
        return self.con.execute(
            "SELECT count(*) FROM quarantine WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))",
            [files],
        ).fetchone()[0]

    def replace_quarantine(self, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Quarantine `rows` in place of any earlier rows of the same files (by SHA-256), so
        that a re-run after a failure is exact."""
        self._replace("quarantine", "sha256", rows)

    def destroy(self, live: pa.Table, quarantined_files: list[str], run: str) -> dict:
        """Retention (governance/retention.py): destroy the identity of every person whose
        pseudo_id (or that of the person they were merged into) is not in `live`, and the
        quarantined rows of `quarantined_files`, in one transaction, once per `run` (a repeat
        returns the first counts). The person's key stays, with no identity: keys are never
        reused, so no later person can take its pseudo_id."""
        con = self.con
        con.execute(f"CREATE TABLE IF NOT EXISTS {RETENTION_RUNS} (run VARCHAR, counts VARCHAR)")
        done = con.execute(f"SELECT counts FROM {RETENTION_RUNS} WHERE run = ?", [run]).fetchone()
        if done:
            return json.loads(done[0])
        keys_now = self.person_keys()
        batches = {"vault_pseudo": self.pseudo_id_table(keys_now), "live_people": live,
                   "expired_files": pa.table({"sha256": pa.array(quarantined_files, pa.string())})}  # fmt: skip
        for name, table in batches.items():
            con.register(name, table)
        con.execute("BEGIN TRANSACTION")
        try:
            counts = _destroy(con)
            con.execute(f"INSERT INTO {RETENTION_RUNS} VALUES (?, ?)", [run, json.dumps(counts)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for name in batches:
                con.unregister(name)
        return counts

    def record_lineage(self, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Each row's (feed, row_key, file, line, row_id), replacing what a row of the same key
        had."""
        self._replace("row_lineage", "(feed, row_key)", rows)

    def row_ids(self, rows: pa.RecordBatchReader) -> pa.Table:
        """(feed, row_key, row_id) of the rows (feed, row_key) whose key has a row id."""
        self.con.register("asked_rows", rows)
        try:
            return self.con.sql(
                "SELECT l.feed, l.row_key, l.row_id FROM asked_rows a JOIN row_lineage l"
                " USING (feed, row_key) WHERE l.row_id IS NOT NULL"
            ).to_arrow_table()
        finally:
            self.con.unregister("asked_rows")

    def last_row_ids(self) -> dict[str, int]:
        """The highest row id given in each feed: new rows are numbered after it."""
        sql = "SELECT feed, max(row_id) FROM row_lineage WHERE row_id IS NOT NULL GROUP BY feed"
        return dict(self.con.execute(sql).fetchall())

    def token_ids(self, tokens: pa.RecordBatchReader) -> pa.Table:
        """(token, token_id) of the tokens asked (token: a record id's keyed hash) that have a
        number: by the whole hash, or by its compact form for a token numbered from a warehouse
        made before (`compact`)."""
        self.con.register("asked_tokens", tokens)
        try:
            older = "SELECT 1 FROM record_tokens WHERE token IS NULL LIMIT 1"
            by_compact = bool(self.con.execute(older).fetchall())
            join = (
                f" LEFT JOIN record_tokens c ON c.token IS NULL AND c.compact = {compact_sql('a.token')}"
                if by_compact
                else " LEFT JOIN (SELECT NULL::BIGINT AS token_id) c ON false"
            )
            return self.con.sql(
                "SELECT a.token, coalesce(t.token_id, c.token_id) AS token_id FROM asked_tokens a"
                f" LEFT JOIN record_tokens t ON t.token = a.token{join}"
                " WHERE coalesce(t.token_id, c.token_id) IS NOT NULL"
            ).to_arrow_table()
        finally:
            self.con.unregister("asked_tokens")

    def last_token_id(self) -> int:
        return self.con.execute("SELECT coalesce(max(token_id), 0) FROM record_tokens").fetchall()[0][0]

    def record_tokens(self, tokens: pa.Table | pa.RecordBatchReader) -> None:
        """New (token, compact, token_id) numbers, in one transaction."""
        self.con.register("new_tokens", tokens)
        try:
            with self._transaction():
                self.con.execute("INSERT INTO record_tokens SELECT * FROM new_tokens")
        finally:
            self.con.unregister("new_tokens")

    def number_rows(self, numbers: pa.Table) -> None:
        """Row ids for the rows of a vault made before them, by the compact row key a warehouse
        of then held (numbers: feed, key, row_id); run again, it gives the same."""
        self.con.register("row_numbers", numbers)
        try:
            with self._transaction():
                self.con.execute(
                    "UPDATE row_lineage SET row_id = n.row_id FROM row_numbers n WHERE"
                    f" row_lineage.feed = n.feed AND {compact_sql('row_lineage.row_key')} = n.key"
                )
        finally:
            self.con.unregister("row_numbers")

    def _replace(self, table: str, key: str, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Replace the rows of `table` whose `key` is in `rows` by `rows`, in one transaction.
        A reader is read once, batch by batch, into a (spilling) temp table first."""
        self.con.register("replacing_rows", rows)
        try:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE replacing_batch AS SELECT * FROM replacing_rows"
            )
        finally:
            self.con.unregister("replacing_rows")
        try:
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute(
                f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM replacing_batch)"
            )
            self.con.execute(f"INSERT INTO {table} SELECT * FROM replacing_batch")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.execute("DROP TABLE IF EXISTS replacing_batch")

    def lineage(self, landed: pa.Table) -> pa.Table:
        """(feed, file, line, pseudo_id) of each landed row (feed, row_id, pseudo_id)."""
        self.con.register("landed_rows", landed)
        try:
            return self.con.sql(
                "SELECT l.feed, l.file, l.line, w.pseudo_id FROM landed_rows w JOIN row_lineage l"
                " USING (feed, row_id)"
                " ORDER BY l.feed, l.file, l.line"
            ).to_arrow_table()
        finally:
            self.con.unregister("landed_rows")

    def use_key(self, key: bytes) -> None:
        """Record a rotated key: from now on pseudo_ids are made with it."""
        self.con.execute("UPDATE vault_meta SET key_fingerprint = ?", [keys.fingerprint(key)])
        self._key, self.key_fingerprint = key, keys.fingerprint(key)

    # Tier I: identities by person key, read only by the service's directory.
    def people_keys(self) -> list[tuple[int, int]]:
        """(person key, the key of the person it now is: itself, or whom it was merged into)."""
        return self.con.execute(
            "SELECT person_key, coalesce(merged_into, person_key) FROM people ORDER BY 1"
        ).fetchall()

    def identities(self, person_keys: list[int]) -> dict[int, Identity]:
        """The current identity of each person key (merged people: the person they became;
        destroyed identities are absent)."""
        rows = self.con.execute(CURRENT_IDENTITY_SQL, [[int(k) for k in person_keys]]).fetchall()
        return {int(r[0]): Identity(*r[1:]) for r in rows}

    def identity(self, person_key: int) -> Identity | None:
        return self.identities([person_key]).get(int(person_key))

    def sharing(self, person_keys: list[int], family_name: str | None, postcode: str | None) -> set[int]:
        """The person keys whose current family name or postcode is the one given (a viewer's
        own, for the IG lead's alert): only the fact leaves the vault, never the identity."""
        found = self.identities(person_keys)
        return {k for k, i in found.items()
                if _same(i.family_name, family_name) or _same(i.postcode, postcode)}  # fmt: skip

    # The review queue (review.py): held pairs, identities side by side, and the decisions.
    def held_reviews(self) -> list[tuple]:
        """Each held pair: review id, weight, probability, candidate key, then the record's
        identity (feed first) and the candidate's (identity feed first)."""
        return self.con.execute(HELD_SQL).fetchall()

    def review(self, review_id: int) -> tuple[str, int, int] | None:
        """(status, candidate person key, provisional person key) of a review, None if none."""
        return self.con.execute(
            "SELECT status, candidate_person_key, provisional_person_key FROM review_queue"
            " WHERE review_id = ?",
            [review_id],
        ).fetchone()

    def merge(self, provisional: int, candidate: int, before_commit=None):
        """Accept a held pair: the provisional person's records move to the candidate, who is
        refreshed, and the review is decided, in one transaction. `before_commit()` (moving
        warehouse rows) runs inside it, so its failure undoes the merge; its result is returned."""
        with self._transaction() as con:
            con.execute(
                """UPDATE identifier_records SET person_key = ?, link_method = CASE
                    WHEN link_method = 'held_for_review' THEN 'probabilistic' ELSE link_method END
                WHERE person_key = ?""",
                [candidate, provisional],
            )
            con.execute(
                "UPDATE people SET merged_into = ? WHERE person_key = ?", [candidate, provisional]
            )
            self._decide(provisional, "accepted")
            refresh_people(con, f"SELECT {int(candidate)}")
            return None if before_commit is None else before_commit()

    def keep_apart(self, provisional: int) -> None:
        """Reject a held pair: the provisional person becomes a person of their own."""
        with self._transaction() as con:
            con.execute(
                """UPDATE identifier_records SET link_method = 'new_person'
                WHERE person_key = ? AND link_method = 'held_for_review'""",
                [provisional],
            )
            self._decide(provisional, "rejected")

    def _decide(self, provisional: int, status: str) -> None:
        self.con.execute(
            """UPDATE review_queue SET status = ?, decided_at = current_timestamp
            WHERE provisional_person_key = ? AND status = 'held'""",
            [status, provisional],
        )

    @contextmanager
    def _transaction(self):
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # Identifier records (trace_return.py).
    def traced_nhs_numbers(self, feeds: list[str]) -> list[tuple[str, str]]:
        """(la_person_id, NHS number) for the records of `feeds` that arrived without a valid
        NHS number and were linked to a person whose NHS number the vault knows."""
        marks = ",".join("?" * len(feeds))
        return self.con.execute(TRACE_SQL.format(feeds=marks), feeds).fetchall()

    def linkage_counts(self) -> dict:
        """The linkage's counts, never a value (see `linkage_counts`)."""
        return linkage_counts(self.con)

    # Counts only, never a value: what the vault holds (retention's and the tests' checks).
    def table_counts(self) -> dict[str, int]:
        """Rows in each of the vault's tables."""
        # fetchall: a result left half-read would block a later register() on the connection
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}

    def holdings(self, person_keys: list[int]) -> dict[int, tuple[bool, int]]:
        """For each person key: (whether any identity value is held in `people`, how many
        identifier records are)."""
        rows = self.con.execute(HOLDINGS_SQL, [[int(k) for k in person_keys]]).fetchall()
        return {int(k): (bool(held), int(records)) for k, held, records in rows}

    def spills_encrypted(self) -> bool:
        """Whether what the vault's DuckDB spills to disk is encrypted (with a vault key)."""
        setting = "SELECT value FROM duckdb_settings() WHERE name = 'temp_file_encryption'"
        return self.con.execute(setting).fetchall()[0][0] == "true"

    # The warehouse side: which vault and secrets a warehouse was made with.
    def binding(self) -> tuple[str, str, str]:
        return (self.vault_id, self.key_fingerprint, self.row_key_fingerprint)

    def check_warehouse(self, con: duckdb.DuckDBPyConnection, warehouse: Path) -> bool:
        """Refuse a warehouse made with another vault or other secrets; False if it names none."""
        bound = warehouse_binding(con)
        if bound is None:
            return False
        names = ("vault", "pseudonymisation key", "landing secret")
        for name, theirs, ours in zip(names, bound, self.binding(), strict=True):
            if theirs != ours:
                raise StoreError(
                    f"{warehouse}: made with another {name} ({theirs}) than {self.path} has"
                    f" ({ours}); use the vault and secrets it was made with"
                )
        return True

    def bind_warehouse(self, con: duckdb.DuckDBPyConnection) -> None:
        """Record this vault and its secrets in the warehouse (inside the caller's transaction)."""
        con.execute(f"CREATE TABLE IF NOT EXISTS {BINDING_TABLE} ({BINDING_COLUMNS})")
        con.execute(f"DELETE FROM {BINDING_TABLE}")
        con.execute(f"INSERT INTO {BINDING_TABLE} VALUES (?, ?, ?)", list(self.binding()))


# Match-weight histogram bins (bits): 5 wide from -20 to 40, open at both ends.
WEIGHT_BIN_WIDTH, WEIGHT_BIN_LOW, WEIGHT_BIN_HIGH = 5, -20, 40


def linkage_counts(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts from a connection to the vault (`joinedup quality` reads it without its keys),
    never a value:
    - nhs_number_conflicts: per feed, identifier records whose valid NHS number their other
      identifiers contradicted (so it was not trusted; see vault_linkage.py);
    - ties_held: records held for review only because two people scored within the tie margin
      (their best score was above the upper threshold);
    - match_weight_histogram: records scored probabilistically, by match weight bin."""
    conflicts = con.execute(
        "SELECT feed, count(*) FROM identifier_records"
        " WHERE nhs_number_valid AND link_method <> 'nhs_number' GROUP BY feed ORDER BY feed"
    ).fetchall()
    ties = con.execute(
        "SELECT count(*) FROM review_queue WHERE match_probability >= ?", [UPPER_THRESHOLD]
    ).fetchall()[0][0]
    width, low, high = WEIGHT_BIN_WIDTH, WEIGHT_BIN_LOW, WEIGHT_BIN_HIGH
    bins = con.execute(
        f"""SELECT least(greatest(floor(match_weight / {width}) * {width}, {low - width}), {high})
            AS bin, count(*) FROM identifier_records WHERE match_weight IS NOT NULL
        GROUP BY bin ORDER BY bin"""
    ).fetchall()
    return {
        "nhs_number_conflicts": {feed: n for feed, n in conflicts},
        "ties_held": ties,
        "match_weight_histogram": [
            {
                "from": None if b < low else int(b),
                "to": None if b >= high else int(b + width),
                "records": n,
            }
            for b, n in bins
        ],
    }


def read_linkage_counts(path: Path) -> dict:
    """`linkage_counts` of the vault at `path`, read from a read-only snapshot without its keys
    (`joinedup quality`); an encrypted vault is read with the vault key from the environment
    only (quality names no register)."""
    needed = ("identifier_records", "review_queue")
    key = encryption.configured()
    with store.reading(path, "identity vault", needed, encryption_key=key) as con:
        return linkage_counts(con)


def holds_a_vault(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store open on `con` is an identity vault (a warehouse must never be one)."""
    return store.has_table(con, "vault_meta") or store.has_table(con, "identifier_records")


def _destroy(con) -> dict:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE orphans AS SELECT p.person_key FROM people p"
        " JOIN vault_pseudo v ON v.person_key = coalesce(p.merged_into, p.person_key)"
        " WHERE v.pseudo_id NOT IN (SELECT pseudo_id FROM live_people)"
        f" AND coalesce(p.identity_feed, '') <> '{DESTROYED}'"
    )
    orphan = "IN (SELECT person_key FROM orphans)"
    counts = {
        "identities_destroyed": con.execute("SELECT count(*) FROM orphans").fetchone()[0],
        "identifier_records_destroyed": _delete(con, "identifier_records", f"person_key {orphan}"),
        "quarantine_rows_destroyed": _delete(
            con, "quarantine", "sha256 IN (SELECT sha256 FROM expired_files)"
        ),
    }
    _delete(
        con, "review_queue", f"candidate_person_key {orphan} OR provisional_person_key {orphan}"
    )
    blank = ", ".join(f"{c} = NULL" for c in IDENTITY_COLUMNS)
    con.execute(
        f"UPDATE people SET {blank}, identity_feed = '{DESTROYED}' WHERE person_key {orphan}"
    )
    return counts


def _delete(con, table: str, where: str) -> int:
    removed = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    con.execute(f"DELETE FROM {table} WHERE {where}")
    return removed


def warehouse_binding(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str] | None:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND table_name = ?"
        " AND database_name = current_database()",
        [BINDING_TABLE],
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute(f"SELECT * FROM {BINDING_TABLE}").fetchall()
    return tuple(rows[0]) if rows else None


def _attach_read_only(con, path: Path, seal: encryption.VaultKey | None) -> tuple:
    """ATTACH the vault READ_ONLY as `vault` (and USE it); its (id, fingerprints)."""
    if not path.is_file():
        raise StoreError(f"{path}: no identity vault here")
    encryption.attach(con, path, "vault", seal, read_only=True)
    con.execute("USE vault")
    rows = con.execute("SELECT * FROM vault_meta").fetchall()
    if not rows:
        con.execute("USE memory")
        con.execute("DETACH vault")
        raise StoreError(f"{path}: the identity vault records no key")
    return tuple(rows[0])


def _connect(path: Path, seal: encryption.VaultKey | None) -> duckdb.DuckDBPyConnection:
    """The vault's connection, its schema made; owner-only files; encrypted with `seal`;
    never a warehouse."""
    for existing in (path, Path(f"{path}.wal")):
        if existing.exists() and stat.S_IMODE(existing.stat().st_mode) & OWNER_ONLY:
            os.chmod(existing, 0o600)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = encryption.connect(seal)
    except (duckdb.Error, OSError) as error:
        reason = " ".join(str(error).split())
        raise StoreError(f"{path}: cannot open the identity vault ({reason})") from None
    try:
        encryption.attach(con, path, "vault", seal)
    except StoreError:
        con.close()
        raise
    con.execute("USE vault")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "load_files" in tables:
        con.close()
        raise StoreError(f"{path}: this is a warehouse, not an identity vault: keep them apart")
    for statement in SCHEMA:
        con.execute(statement)
    return con


def _secrets(
    con, path: Path, check_key: bool, seal: encryption.VaultKey | None
) -> tuple[tuple, tuple[bytes, bytes]]:
    """The vault's (id, fingerprints) and its (key, row secret); a new vault records them."""
    rows = con.execute("SELECT * FROM vault_meta").fetchall()
    recorded = rows[0] if rows else (None, None, None)
    # A vault older than fingerprints may already hold people: then its files must exist.
    new = not rows and not con.execute("SELECT 1 FROM people LIMIT 1").fetchall()
    key = keys.load_secret(keys.PSEUDO_KEY, path, recorded[1] if check_key else None, new, seal)
    row_secret = keys.load_secret(keys.ROW_KEY, path, recorded[2], new, seal)
    if not rows:
        recorded = (uuid.uuid4().hex, keys.fingerprint(key), keys.fingerprint(row_secret))
        con.execute("INSERT INTO vault_meta VALUES (?, ?, ?)", list(recorded))
    return tuple(recorded), (key, row_secret)
