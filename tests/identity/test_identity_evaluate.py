"""Linkage quality measured against a hand-written truth folder."""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa
import pytest

from joinedup.errors import BadInput
from joinedup.identity.evaluate import linkage_quality
from joinedup.identity.vault import Vault

# (feed, line, pseudo_id, true person, flaw)
ROWS = [
    ("gp_register", 2, "a", "P1", None),
    ("gp_register", 3, "b", "P2", None),
    ("gp_register", 4, "c", "P3", None),
    ("acute_ae", 2, "a", "P1", "missing_nhs_number"),  # linked, right person
    ("acute_ae", 3, "c", "P2", "mistyped_nhs_number"),  # linked, wrong person
    ("acute_ae", 4, "z", "P3", "missing_nhs_number"),  # not linked, person known: missed
    ("acute_ae", 5, "y", "P4", "missing_nhs_number"),  # not linked, person unknown elsewhere
    ("acute_ae", 6, "a", "P1", "nickname"),  # valid NHS number: not judged
]


def _row_key(line: int) -> str:
    """A row key as the vault holds it (64 hex digits); the warehouse holds the row's id."""
    return hashlib.sha256(str(line).encode()).hexdigest()


@pytest.fixture
def area(tmp_path, monkeypatch):
    """A warehouse of pseudo_ids and row ids, and a vault bound to it holding each row's line."""
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    warehouse, vault_path = tmp_path / "warehouse.duckdb", tmp_path / "vault.duckdb"
    con = duckdb.connect(str(warehouse))
    for feed in ("gp_register", "acute_ae"):
        con.execute(f"CREATE TABLE {feed} (pseudo_id INTEGER, _row_id BIGINT)")
    number = {p: n for n, p in enumerate(sorted({r[2] for r in ROWS}), 1)}
    con.execute("CREATE TABLE pseudonyms (pseudo_id INTEGER, pseudonym VARCHAR)")
    con.executemany("INSERT INTO pseudonyms VALUES (?, ?)", [(n, p) for p, n in number.items()])
    for feed, line, pseudo_id, _, _ in ROWS:
        con.execute(f"INSERT INTO {feed} VALUES (?, ?)", [number[pseudo_id], line])
    with Vault.open(vault_path) as vault:
        vault.bind_warehouse(con)
        vault.record_lineage(
            pa.table(
                {
                    "feed": [r[0] for r in ROWS],
                    "row_key": [_row_key(r[1]) for r in ROWS],
                    "file": [f"{r[0]}.csv" for r in ROWS],
                    "line": [r[1] for r in ROWS],
                    "row_id": [r[1] for r in ROWS],
                }
            )
        )
    con.close()
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "row_person.csv").write_text(
        "feed,line,person_id\n" + "".join(f"{f},{n},{p}\n" for f, n, _, p, _ in ROWS)
    )
    (truth / "flaws.csv").write_text(
        "feed,line,flaw\n" + "".join(f"{f},{n},{x}\n" for f, n, _, _, x in ROWS if x)
    )
    return warehouse, vault_path, truth


def test_precision_and_recall_count_right_wrong_and_missed_links(area):
    quality = linkage_quality(*area)
    assert quality["rows_without_valid_nhs_number"] == 4
    assert (quality["links_made"], quality["right_links"]) == (2, 1)
    assert (quality["person_otherwise_known"], quality["linked_to_their_person"]) == (3, 1)
    assert quality["precision"] == pytest.approx(0.5)
    assert quality["recall"] == pytest.approx(1 / 3)


def test_a_missing_truth_folder_is_bad_input(area, tmp_path):
    warehouse, vault, _ = area
    with pytest.raises(BadInput, match="flaws.csv|row_person.csv"):
        linkage_quality(warehouse, vault, tmp_path / "nowhere")
