"""The identity vault: a DuckDB file, separate from the warehouse, holding every identifier.

Identity owns `people`, `identifier_records` and `review_queue`; landing owns `quarantine`.
The pseudonymisation key is not in here (see keys.py).

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup import duck
from joinedup.errors import StoreError
from joinedup.identity import keys

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
]

LINK_METHODS = ("nhs_number", "council_id", "probabilistic", "new_person", "held_for_review")


def refresh_people(con, person_keys_sql: str) -> None:
    """Set the canonical identity of the people selected by `person_keys_sql`: their
    gp_register record where there is one (PDS-traced), else the record whose date of birth
    most of their records agree on; ties by record id."""
    con.execute(
        f"""UPDATE people SET given_name = c.given_name, family_name = c.family_name,
            date_of_birth = c.date_of_birth, sex = c.sex, postcode = c.postcode,
            identity_feed = c.feed
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY person_key ORDER BY
                    CASE WHEN feed = 'gp_register' THEN 0 ELSE 1 END,
                    CASE WHEN date_of_birth IS NULL THEN 1 ELSE 0 END,
                    dob_votes DESC, record_id
            ) AS rank
            FROM (
                SELECT *, count(*) OVER (PARTITION BY person_key, date_of_birth) AS dob_votes
                FROM identifier_records WHERE person_key IN ({person_keys_sql})
            )
        ) c
        WHERE c.rank = 1 AND people.person_key = c.person_key"""
    )


class Vault:
    """The identity vault. Open with Vault.open(path); resolve identifier records with resolve()."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, key: bytes) -> None:
        self.path = path
        self.con = con
        self._key = key

    @classmethod
    def open(cls, path: str | Path, must_exist: bool = False) -> Vault:
        """Open (creating if missing, unless must_exist) the vault and load its key."""
        path = Path(path)
        if must_exist and not path.exists():
            raise StoreError(f"{path}: no identity vault here")
        key = keys.load_key(path)
        try:
            con = duck.connect(str(path))
        except duckdb.Error as error:
            raise StoreError(
                f"{path}: cannot open the identity vault ({type(error).__name__})"
            ) from None
        for statement in SCHEMA:
            con.execute(statement)
        return cls(path, con, key)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def pseudo_id(self, person_key: int) -> str:
        return keys.pseudo_id(self._key, person_key)

    def resolve(self, records: pa.Table, progress: bool = False) -> pa.Table:
        """Link each record to a person; see resolve.py and docs/architecture.md."""
        from joinedup.identity.resolve import resolve

        return resolve(self, records, progress=progress)

    def pseudo_id_table(self, person_keys: list[int]) -> pa.Table:
        ids = keys.pseudo_ids(self._key, person_keys)
        return pa.table(
            {"person_key": pa.array(list(ids), pa.int64()), "pseudo_id": list(ids.values())}
        )
