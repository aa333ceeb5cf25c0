"""Linkage behaviour of Vault.resolve on small hand-written records."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from identity_fixtures import background, by_id, fresh_vault, nhs, record, table

from joinedup.identity import Vault


@pytest.fixture
def vault(tmp_path, monkeypatch):
    yield from fresh_vault(tmp_path, monkeypatch)


ROBERT = dict(
    given="Robert", family="Hargreaves", dob=dt.date(1950, 3, 7), sex="1", postcode="SS9 9XY"
)
ROBERT_NHS = nhs(5150)


def transposed(number: str) -> str:
    """Swap the first two adjacent digits that differ (a keying error modulus 11 catches)."""
    i = next(i for i in range(9) if number[i] != number[i + 1])
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def known_robert() -> list[dict]:
    return background() + [record("gp_register", 900, nhs_number=ROBERT_NHS, **ROBERT)]


def resolve_with_known(vault: Vault, *rows: dict) -> dict[str, dict]:
    return by_id(vault.resolve(table(known_robert() + list(rows))))


def robert_key(answers: dict[str, dict]) -> int:
    return next(
        a["person_key"]
        for a in answers.values()
        if a["link_method"] == "nhs_number" and a["record_id"] == known_robert()[-1]["record_id"]
    )


def test_valid_nhs_number_links_across_feeds_and_gp_register_sets_the_identity(vault):
    acute = record("acute_apc", 2, nhs_number=ROBERT_NHS, **{**ROBERT, "dob": dt.date(1950, 3, 8)})
    conditions = record("gp_conditions", 2, nhs_number=ROBERT_NHS)
    answers = resolve_with_known(vault, acute, conditions)
    key = robert_key(answers)
    for row in (acute, conditions):
        answer = answers[row["record_id"]]
        assert (answer["person_key"], answer["link_method"]) == (key, "nhs_number")
        assert answer["person_date_of_birth"] == ROBERT["dob"]
        assert answer["person_sex"] == "1"


def test_number_failing_modulus_11_is_not_matched_deterministically(vault):
    wrong_check_digit = ROBERT_NHS[:9] + str((int(ROBERT_NHS[9]) + 1) % 10)
    stranger = record(
        "acute_ae",
        2,
        nhs_number=wrong_check_digit,
        given="Zelda",
        family="Quist",
        dob=dt.date(1999, 12, 1),
        sex="2",
        postcode="SS1 1AA",
    )
    answers = resolve_with_known(vault, stranger)
    assert answers[stranger["record_id"]]["link_method"] == "new_person"
    assert answers[stranger["record_id"]]["person_key"] != robert_key(answers)


def test_all_identical_digits_do_not_link_two_people(vault):
    # 1111111111 passes the modulus 11 check but is a placeholder, not a person.
    first = record(
        "acute_ae",
        2,
        nhs_number="1111111111",
        given="Zelda",
        family="Quist",
        dob=dt.date(1999, 12, 1),
        sex="2",
        postcode="SS1 1AA",
    )
    second = record(
        "community_contacts",
        2,
        nhs_number="1111111111",
        given="Yusuf",
        family="Okafor",
        dob=dt.date(1961, 6, 30),
        sex="1",
        postcode="SS7 3ZZ",
    )
    answers = resolve_with_known(vault, first, second)
    first_answer, second_answer = answers[first["record_id"]], answers[second["record_id"]]
    assert first_answer["link_method"] == second_answer["link_method"] == "new_person"
    assert first_answer["person_key"] != second_answer["person_key"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"nhs_number": transposed(ROBERT_NHS)}, id="transposed-nhs-number"),
        pytest.param({"given": "Bob", "family": "Hargreeves"}, id="nickname-misspelt-surname"),
        pytest.param({"dob": dt.date(1950, 7, 3)}, id="day-month-swapped"),
        pytest.param({"postcode": "SS2 5EP"}, id="old-postcode"),
    ],
)
def test_record_without_a_valid_nhs_number_finds_its_person(vault, changes):
    fields = {**ROBERT, **changes}
    flawed = record("social_care_events", 2, la="LA1", **fields)
    answers = resolve_with_known(vault, flawed)
    answer = answers[flawed["record_id"]]
    assert (answer["person_key"], answer["link_method"]) == (robert_key(answers), "probabilistic")
    assert answer["match_weight"] > 6.6  # probability above 0.99


def test_a_different_person_with_the_same_surname_and_postcode_is_not_linked(vault):
    wife = record(
        "social_care_events",
        2,
        la="LA2",
        given="Margaret",
        family="Hargreaves",
        dob=dt.date(1953, 10, 21),
        sex="2",
        postcode="SS9 9XY",
    )
    answers = resolve_with_known(vault, wife)
    assert answers[wife["record_id"]]["link_method"] == "new_person"
    assert answers[wife["record_id"]]["person_key"] != robert_key(answers)


def test_records_sharing_a_council_id_are_one_person(vault):
    with_nhs = record("social_care_events", 2, nhs_number=ROBERT_NHS, la="LA7", **ROBERT)
    moved = record("social_care_events", 3, la="LA7", **{**ROBERT, "postcode": "SS3 1QQ"})
    answers = resolve_with_known(vault, with_nhs, moved)
    assert answers[moved["record_id"]]["link_method"] == "council_id"
    assert answers[moved["record_id"]]["person_key"] == robert_key(answers)


def test_a_partial_match_is_held_for_review_with_a_provisional_person(vault):
    # Same surname and date of birth, different given name, sex and postcode: maybe Robert.
    maybe = record(
        "acute_ae",
        2,
        given="Roberta",
        family="Hargreaves",
        dob=ROBERT["dob"],
        sex="2",
        postcode="SS4 4BB",
    )
    answers = resolve_with_known(vault, maybe)
    answer = answers[maybe["record_id"]]
    assert answer["link_method"] == "held_for_review"
    assert answer["person_key"] != robert_key(answers)
    ((review_id, *_, feed, _, given, family, _, _, postcode, _, _, _, _, _, _, _),) = (
        vault.held_reviews()
    )
    assert (feed, given, family, postcode) == ("acute_ae", "Roberta", "Hargreaves", "SS4 4BB")
    assert vault.review(review_id) == ("held", robert_key(answers), answer["person_key"])


def test_resolving_the_same_records_again_changes_nothing(vault):
    rows = known_robert() + [
        record(
            "acute_ae",
            2,
            given="Bob",
            family="Hargreeves",
            dob=ROBERT["dob"],
            sex="1",
            postcode="SS9 9XY",
        )
    ]
    first = vault.resolve(table(rows))
    counts = _row_counts(vault)
    second = vault.resolve(table(list(reversed(rows))))
    assert by_id(first) == by_id(second)
    assert _row_counts(vault) == counts


def test_person_keys_are_stable_when_later_loads_add_people(vault):
    first_rows = background(120)
    first = by_id(vault.resolve(table(first_rows)))
    later_rows = background(200)[60:] + [
        record("gp_register", 900, nhs_number=ROBERT_NHS, **ROBERT)
    ]
    later = by_id(vault.resolve(table(later_rows)))
    for record_id, answer in later.items():
        if record_id in first:
            assert answer["person_key"] == first[record_id]["person_key"]
            assert answer["pseudo_id"] == first[record_id]["pseudo_id"]
        else:
            assert answer["person_key"] > max(a["person_key"] for a in first.values())


def test_same_inputs_in_any_order_give_the_same_person_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    stranger = record(
        "acute_ae",
        3,
        given="Zelda",
        family="Quist",
        dob=dt.date(1999, 12, 1),
        sex="2",
        postcode="SS1 1AA",
    )
    bob = record(
        "acute_ae",
        2,
        given="Bob",
        family="Hargreeves",
        dob=ROBERT["dob"],
        sex="1",
        postcode="SS9 9XY",
    )
    other = record(
        "acute_ae",
        4,
        given="Yusuf",
        family="Okafor",
        dob=dt.date(1961, 6, 30),
        sex="1",
        postcode="SS7 3ZZ",
    )
    rows = known_robert() + [bob, stranger, other]
    keys = []
    for name, order in (("one", rows), ("two", list(reversed(rows)))):
        with Vault.open(tmp_path / f"{name}.duckdb") as opened:
            keys.append(
                {a["record_id"]: a["person_key"] for a in opened.resolve(table(order)).to_pylist()}
            )
    assert keys[0] == keys[1]


def test_result_has_the_agreed_columns_and_types(vault):
    result = vault.resolve(table(known_robert()[-3:]))
    assert result.schema == pa.schema(
        [
            ("record_id", pa.string()),
            ("person_key", pa.int64()),
            ("pseudo_id", pa.string()),
            ("link_method", pa.string()),
            ("match_weight", pa.float64()),
            ("person_date_of_birth", pa.date32()),
            ("person_sex", pa.string()),
        ]
    )
    assert result.num_rows == 3
    assert all(len(p) == 64 for p in result["pseudo_id"].to_pylist())


def _row_counts(vault: Vault) -> tuple[int, ...]:
    counts = vault.table_counts()
    return tuple(counts[name] for name in ("people", "identifier_records", "review_queue"))


def test_an_empty_batch_gives_an_empty_answer(vault):
    result = vault.resolve(table([]))
    assert result.num_rows == 0
    assert result.column_names[:3] == ["record_id", "person_key", "pseudo_id"]


def test_a_resolve_that_fails_part_way_leaves_the_vault_as_it_was(vault):
    vault.resolve(table(background(20)))
    counts = _row_counts(vault)
    # A record without a feed passes the early checks but breaks a vault constraint when
    # stored, after people have been added in the same transaction.
    broken = {
        **record("acute_ae", 2, given="Zelda", family="Quist", dob=dt.date(1999, 12, 1)),
        "feed": None,
    }
    with pytest.raises(duckdb.ConstraintException):
        vault.resolve(table(background(40) + [broken]))
    assert _row_counts(vault) == counts
    assert vault.resolve(table(background(40))).num_rows == 40


def test_an_nhs_number_arriving_later_goes_to_the_person_known_without_one(vault):
    winifred = dict(
        given="Winifred", family="Ashdown", dob=dt.date(1931, 2, 14), sex="2", postcode="SS8 7QT"
    )
    cousin = dict(winifred, given="Agatha", dob=dt.date(1944, 9, 30))
    first = by_id(
        vault.resolve(
            table(
                background()
                + [
                    record("social_care_events", 2, la="LA9", **winifred),
                    record("social_care_events", 3, la="LA10", **cousin),
                ]
            )
        )
    )
    keys = {a["person_key"] for a in first.values() if a["link_method"] == "new_person"}
    assert len(keys) == 2
    registered = record("gp_register", 901, nhs_number=nhs(7001), **winifred)
    admitted = record("acute_apc", 2, nhs_number=nhs(7001), **winifred)
    stranger = record(
        "gp_register",
        902,
        nhs_number=nhs(7002),
        given="Agnes",
        family="Ashdown",
        dob=dt.date(1960, 1, 1),
        sex="2",
        postcode="SS8 7QT",
    )
    later = by_id(vault.resolve(table([registered, admitted, stranger])))
    winifred_key = first[record("social_care_events", 2, la="LA9", **winifred)["record_id"]]
    assert later[registered["record_id"]]["person_key"] == winifred_key["person_key"]
    assert later[admitted["record_id"]]["person_key"] == winifred_key["person_key"]
    assert later[registered["record_id"]]["link_method"] == "nhs_number"
    assert later[stranger["record_id"]]["person_key"] not in keys | {winifred_key["person_key"]}
