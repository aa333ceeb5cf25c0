"""Small hand-written identity fixtures (imported by the tests): a background population
registered with GPs (so that name and postcode frequencies are realistic enough for
term-frequency adjustment) and helpers to build identifier records as landing sends them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pyarrow as pa

from joinedup.identifiers import nhs_check_digit
from joinedup.identity import Vault
from joinedup.identity.vault import RECORD_SCHEMA

GIVEN = [
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Mia",
    "Jack",
    "Ivy",
    "Leo",
    "Grace",
    "Oscar",
    "Freya",
    "Arthur",
    "Lily",
    "Henry",
    "Rosie",
    "Alfie",
    "Evie",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Lewis",
    "Harris",
    "Cooper",
    "King",
]


def nhs(n: int) -> str:
    """The n-th valid NHS number of a fixed sequence (skipping bases with no check digit)."""
    base = 400_000_000 + n * 17
    while (check := nhs_check_digit(f"{base:09d}")) is None:
        base += 1
    return f"{base:09d}{check}"


def record(
    feed: str,
    line: int,
    nhs_number=None,
    given=None,
    family=None,
    dob=None,
    sex=None,
    postcode=None,
    la=None,
) -> dict:
    values = (feed, nhs_number, given, family, dob, sex, postcode, la)
    return {
        "record_id": hashlib.sha256(repr(values).encode()).hexdigest()[:16] + f"-{line}",
        "feed": feed,
        "nhs_number": nhs_number,
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "sex": sex,
        "postcode": postcode,
        "la_person_id": la,
    }


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)


def background(people: int = 300) -> list[dict]:
    """gp_register records of `people` distinct people spread over 40 postcodes."""
    rows = []
    for i in range(people):
        rows.append(
            record(
                "gp_register",
                i,
                nhs_number=nhs(1000 + i),
                given=GIVEN[i % len(GIVEN)],
                family=FAMILY[(i * 7) % len(FAMILY)],
                dob=dt.date(1930 + i % 70, 1 + i % 12, 1 + (i * 5) % 28),
                sex="1" if i % 2 else "2",
                postcode=f"SS{1 + i % 9} {1 + i % 5}{'ABCDEFGH'[i % 8]}{'JKLMNPQR'[(i // 8) % 8]}",
            )
        )
    return rows


def fresh_vault(tmp_path, monkeypatch) -> Iterator[Vault]:
    """A new vault keyed by a key file (for a test module's `vault` fixture)."""
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    opened = Vault.open(tmp_path / "vault.duckdb")
    yield opened
    opened.close()


def by_id(result: pa.Table) -> dict[str, dict]:
    return {row["record_id"]: row for row in result.to_pylist()}
