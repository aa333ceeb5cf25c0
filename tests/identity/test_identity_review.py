"""Reviewing held pairs: listing, accepting (with the warehouse rows following), rejecting."""

from __future__ import annotations

import json

import duckdb
import pytest
from identity_fixtures import by_id, fresh_vault, record, table
from test_identity_resolve import ROBERT, known_robert, robert_key

from joinedup.cli import main
from joinedup.errors import UserError
from joinedup.identity.review import accept, held_pairs, reject


@pytest.fixture
def vault(tmp_path, monkeypatch):
    yield from fresh_vault(tmp_path, monkeypatch)


MAYBE_ROBERT = record(
    "acute_ae",
    2,
    given="Roberta",
    family="Hargreaves",
    dob=ROBERT["dob"],
    sex="2",
    postcode="SS4 4BB",
)


@pytest.fixture
def held(vault, tmp_path):
    """A vault with one held pair, and a warehouse holding the held record's rows."""
    rows = known_robert() + [MAYBE_ROBERT]
    answers = by_id(vault.resolve(table(rows)))
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE acute_ae (pseudo_id VARCHAR, _row_key VARCHAR)")
    con.execute("CREATE TABLE person (pseudo_id VARCHAR, sex VARCHAR)")
    for answer in answers.values():
        con.execute(
            "INSERT INTO acute_ae VALUES (?, ?)", [answer["pseudo_id"], answer["record_id"]]
        )
        con.execute("INSERT INTO person VALUES (?, ?)", [answer["pseudo_id"], answer["person_sex"]])
    con.close()
    return answers, warehouse


def warehouse_rows(path) -> tuple[dict[str, str], list[str]]:
    con = duckdb.connect(str(path))
    rows = dict(con.execute("SELECT _row_key, pseudo_id FROM acute_ae").fetchall())
    people = [p for (p,) in con.execute("SELECT pseudo_id FROM person").fetchall()]
    con.close()
    return rows, people


def test_listing_shows_the_pair_side_by_side_with_its_weight(vault, held, capsys):
    pairs = held_pairs(vault)
    assert len(pairs) == 1
    pair = pairs[0]
    assert pair["record"]["given_name"] == "Roberta"
    assert pair["candidate"]["given_name"] == "Robert"
    assert pair["candidate"]["feed"] == "gp_register"
    assert 0 < pair["match_probability"] < 0.99
    vault.close()
    assert main(["review", "--vault", str(vault.path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == pairs
    assert main(["review", "--vault", str(vault.path)]) == 0
    text = capsys.readouterr().out
    assert f"review {pair['review_id']}: match weight" in text
    assert ["given_name", "Roberta", "Robert"] in [line.split() for line in text.splitlines()]


def test_accepting_moves_the_record_and_its_warehouse_rows_to_the_candidate(vault, held):
    answers, warehouse = held
    robert = robert_key(answers)
    provisional = answers[MAYBE_ROBERT["record_id"]]
    review_id = held_pairs(vault)[0]["review_id"]

    moved = accept(vault, review_id, warehouse)

    again = by_id(vault.resolve(table([MAYBE_ROBERT])))[MAYBE_ROBERT["record_id"]]
    assert (again["person_key"], again["link_method"]) == (robert, "probabilistic")
    rows, people = warehouse_rows(warehouse)
    assert moved == 1
    assert rows[MAYBE_ROBERT["record_id"]] == again["pseudo_id"]
    assert provisional["pseudo_id"] not in people
    assert people.count(again["pseudo_id"]) == 1
    assert held_pairs(vault) == []


def test_rejecting_makes_the_provisional_person_permanent(vault, held):
    answers, warehouse = held
    provisional = answers[MAYBE_ROBERT["record_id"]]
    review_id = held_pairs(vault)[0]["review_id"]

    reject(vault, review_id)

    again = by_id(vault.resolve(table([MAYBE_ROBERT])))[MAYBE_ROBERT["record_id"]]
    assert (again["person_key"], again["link_method"]) == (provisional["person_key"], "new_person")
    assert warehouse_rows(warehouse)[0][MAYBE_ROBERT["record_id"]] == provisional["pseudo_id"]
    with pytest.raises(UserError, match="already decided"):
        accept(vault, review_id)


def test_an_unknown_review_id_is_a_user_error(vault, held):
    with pytest.raises(UserError, match="no such held pair"):
        reject(vault, 999)
