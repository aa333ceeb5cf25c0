"""Reviewing held pairs: listing, accepting (with the warehouse rows following), rejecting."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
import yaml
from identity_fixtures import by_id, fresh_vault, record, table
from record_tokens import person_numbers
from test_identity_resolve import ROBERT, known_robert, robert_key

from joinedup.cli import main
from joinedup.errors import UserError
from joinedup.identity import Vault
from joinedup.identity.review import accept, held_pairs, reject
from joinedup.warehouse import pseudonyms


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
    con.execute("CREATE TABLE acute_ae (pseudo_id INTEGER, _row_key VARCHAR)")
    con.execute("CREATE TABLE person (pseudo_id INTEGER, sex VARCHAR)")
    pseudonyms.create(con)
    for answer in answers.values():
        (number,) = person_numbers(con, [answer["pseudo_id"]])
        con.execute("INSERT INTO acute_ae VALUES (?, ?)", [number, answer["record_id"]])
        con.execute("INSERT INTO person VALUES (?, ?)", [number, answer["person_sex"]])
    con.close()
    return answers, warehouse


def review_cli(vault_path, on=(), user="linkage", end=None) -> list[str]:
    """`joinedup review` under a register switching review on for the feeds `on`, as `user`."""
    folder = vault_path.parent
    feeds = ("gp_register", "acute_ae")
    register = {
        "organisations": [
            {"code": "P81001", "name": "Practice", "kind": "gp_practice", "feeds": ["gp_register"]},
            {"code": "RZA", "name": "Acute trust", "kind": "acute_trust", "feeds": ["acute_ae"]},
            {"code": "0DE", "name": "CSU", "kind": "csu", "feeds": []},
        ],
        "agreements": [
            {"feed": f, "controllers": ["P81001" if f == "gp_register" else "RZA"],
             "processor": "0DE", "legal_basis": "direct_care", "purposes": ["direct_care"],
             "start": dt.date(2013, 1, 1), **({"identity_review": True} if f in on else {})}
            for f in feeds
        ],
        "teams": [{"code": "PT-P81001", "organisation": "P81001", "kind": "practice"}],
        "users": [
            {"id": "linkage", "name": "Linkage officer", "organisation": "0DE", "teams": [],
             "role": "linkage_officer", "start": dt.date(2013, 1, 1), **({"end": end} if end else {})},
            {"id": "analyst", "name": "Analyst", "organisation": "0DE", "teams": [],
             "role": "analyst", "start": dt.date(2013, 1, 1)},
        ],
    }  # fmt: skip
    (folder / "register.yaml").write_text(yaml.safe_dump(register, sort_keys=False))
    return ["review", "--vault", str(vault_path), "--register", str(folder / "register.yaml"),
            "--user", user, "--audit", str(folder / "audit.jsonl")]  # fmt: skip


def audited(vault_path) -> list[tuple]:
    lines = (vault_path.parent / "audit.jsonl").read_text().splitlines()
    return [(r["user"], r["action"], r["decision"], r["rule"], r["count"]) for r in map(json.loads, lines)]


def warehouse_rows(path) -> tuple[dict[str, str], list[str]]:
    con = duckdb.connect(str(path))
    named = " JOIN pseudonyms USING (pseudo_id)"
    rows = dict(con.execute(f"SELECT _row_key, pseudonym FROM acute_ae{named}").fetchall())
    people = [p for (p,) in con.execute(f"SELECT pseudonym FROM person{named}").fetchall()]
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
    cli = review_cli(vault.path, on=("acute_ae",))
    assert main([*cli, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == pairs
    assert main(cli) == 0
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


def test_the_command_reviews_only_when_the_register_switches_review_on_and_only_as_its_officer(
    vault, held, capsys
):
    """GOVERNANCE.md: review is off by default (held pairs stay separate people); an agreement
    switches it on for its feed, and then only a linkage_officer sees and decides the pairs.
    Each refusal is exit 4, before the vault is opened, and audited."""
    review_id = held_pairs(vault)[0]["review_id"]
    vault.close()
    refusals = [
        ({}, "identity review is off"),  # no agreement switches it on
        ({"on": ("gp_register",), "user": "analyst"}, "only for an active"),
        ({"on": ("acute_ae",), "end": dt.date(2015, 1, 1)}, "only for an active"),
    ]
    for register, says in refusals:
        cli = review_cli(vault.path, **register)
        for decision in ([], ["--accept", str(review_id)]):
            assert main([*cli, *decision]) == 4
            err = capsys.readouterr().err
            assert says in err and "Roberta" not in err
    # on for another feed only: this pair (an acute_ae record) is neither listed nor decided
    other = review_cli(vault.path, on=("gp_register",))
    assert main([*other, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*other, "--reject", str(review_id)]) == 3
    assert "no held pair of a feed under review" in capsys.readouterr().err
    on = review_cli(vault.path, on=("acute_ae",))
    assert main([*on, "--reject", str(review_id)]) == 0
    with Vault.open(vault.path) as reopened:
        assert held_pairs(reopened) == []
    off, only = "review:off", "review:linkage_officer_only"
    assert audited(vault.path) == [
        ("linkage", "cli review list", "deny", off, None),
        ("linkage", "cli review accept", "deny", off, None),
        ("analyst", "cli review list", "deny", only, None),
        ("analyst", "cli review accept", "deny", only, None),
        ("linkage", "cli review list", "deny", only, None),  # the officer's role has ended
        ("linkage", "cli review accept", "deny", only, None),
        ("linkage", "cli review list", "allow", "review:agreement", 0),
        ("linkage", "cli review reject", "deny", "review:not_a_held_pair_under_review", None),
        ("linkage", "cli review reject", "allow", "review:agreement", 0),
    ]
