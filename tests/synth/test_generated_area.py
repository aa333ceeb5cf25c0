"""The synthetic area: valid identifiers, flaws at their rates, truth that agrees with the feeds,
determinism. Conformance of every row except the deliberately broken ones is checked by landing
(tests/landing/test_landing_generated_area.py), which must reject exactly truth/broken_rows.csv."""

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from joinedup import contract
from joinedup.identifiers import is_valid_nhs_number, normalise_nhs_number
from joinedup.synth.breakage import KINDS
from joinedup.synth.config import AreaSpec, FlawRates
from joinedup.synth.simulate import generate

PEOPLE = 3000


@pytest.fixture(scope="module")
def area(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("area")
    generate(out, AreaSpec(people=PEOPLE, seed=7), progress=False)
    return out


def rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def lines_by_flaw(area: Path) -> dict[tuple[str, str], set[int]]:
    flaws: dict[tuple[str, str], set[int]] = {}
    for row in rows(area / "truth" / "flaws.csv"):
        flaws.setdefault((row["feed"], row["flaw"]), set()).add(int(row["line"]))
    return flaws


def broken_lines(area: Path) -> dict[str, set[int]]:
    broken: dict[str, set[int]] = {}
    for row in rows(area / "truth" / "broken_rows.csv"):
        broken.setdefault(row["feed"], set()).add(int(row["line"]))
    return broken


def test_every_feed_and_reference_table_is_written_with_the_contract_header(area):
    for feed in contract.feeds().values():
        with (area / f"{feed.name}.csv").open(encoding="utf-8") as handle:
            assert handle.readline().strip().split(",") == list(feed.column_names), feed.name


def test_nhs_numbers_are_valid_except_the_deliberately_mistyped_or_broken(area):
    flaws, broken = lines_by_flaw(area), broken_lines(area)
    checked = 0
    for feed in contract.event_feeds():
        if "nhs_number" not in feed.column_names:
            continue
        mistyped = flaws.get((feed.name, "mistyped_nhs_number"), set())
        for line, row in enumerate(rows(area / f"{feed.name}.csv"), start=2):
            value = row["nhs_number"]
            if not value or line in mistyped or line in broken.get(feed.name, set()):
                continue
            assert is_valid_nhs_number(value), (feed.name, line)
            checked += 1
    assert checked > 50_000
    truth_numbers = [r["nhs_number"] for r in rows(area / "truth" / "people.csv")]
    assert all(is_valid_nhs_number(n) for n in truth_numbers)
    assert len(set(truth_numbers)) == len(truth_numbers)


def near(hits: int, trials: int, rate: float) -> bool:
    """Within four binomial standard deviations of the expected count."""
    return abs(hits - rate * trials) <= 4 * (trials * rate * (1 - rate)) ** 0.5


def test_flaws_occur_at_their_documented_rates(area):
    flaws = lines_by_flaw(area)
    total = {f.name: sum(1 for _ in (area / f"{f.name}.csv").open()) - 1 for f in contract.event_feeds()}
    count = lambda feed, flaw: len(flaws.get((feed, flaw), ()))  # noqa: E731
    rates = FlawRates()
    for feed in ("social_care_events", "acute_ae"):
        assert near(count(feed, "missing_nhs_number"), total[feed], rates.missing_nhs[feed])
    person_feeds = [f.name for f in contract.event_feeds() if f.has_person_identifiers]
    person_rows = sum(total[f] for f in person_feeds)
    mistyped = sum(count(f, "mistyped_nhs_number") for f in person_feeds)
    assert near(mistyped, person_rows, rates.mistyped_nhs)
    swapped = sum(count(f, "swapped_names") for f in person_feeds)
    assert near(swapped, person_rows, rates.swapped_names)
    for flaw in ("misspelt_name", "nickname", "swapped_dob", "old_postcode", "initial",
                 "placeholder_dob", "former_family_name", "wrong_valid_nhs_number"):
        assert sum(len(v) for (_, kind), v in flaws.items() if kind == flaw) > 0, flaw
    broken = sum(len(v) for v in broken_lines(area).values())
    assert 0.0005 <= broken / sum(total.values()) <= 0.002


def test_every_kind_of_contract_rule_is_broken_at_least_once(area):
    kinds = Counter(r["rule"] for r in rows(area / "truth" / "broken_rows.csv"))
    assert set(kinds) == set(KINDS)


def test_truth_names_the_person_of_every_person_level_row(area):
    people = {r["person_id"]: r for r in rows(area / "truth" / "people.csv")}
    truth = Counter(r["feed"] for r in rows(area / "truth" / "row_person.csv"))
    person_of = {(r["feed"], int(r["line"])): r["person_id"]
                 for r in rows(area / "truth" / "row_person.csv")}
    flaws, broken = lines_by_flaw(area), broken_lines(area)
    for feed in contract.event_feeds():
        if not feed.is_person_level:
            continue
        data = rows(area / f"{feed.name}.csv")
        assert truth[feed.name] == len(data), feed.name
        mistyped = flaws.get((feed.name, "mistyped_nhs_number"), set())
        mistyped |= flaws.get((feed.name, "wrong_valid_nhs_number"), set())
        for line, row in enumerate(data, start=2):
            person = people[person_of[(feed.name, line)]]
            value = normalise_nhs_number(row["nhs_number"])
            if value and line not in mistyped and line not in broken.get(feed.name, set()):
                assert value == person["nhs_number"], (feed.name, line)


def test_one_person_is_known_to_the_council_by_two_ids(area):
    people = rows(area / "truth" / "people.csv")
    twice = [p for p in people if p["second_la_person_id"]]
    assert len(twice) == 1
    ids = {r["la_person_id"] for r in rows(area / "social_care_events.csv")}
    assert twice[0]["second_la_person_id"] in ids or not any(
        r["la_person_id"] == twice[0]["la_person_id"] for r in rows(area / "social_care_events.csv"))


def test_the_feeds_reveal_no_truth(area):
    truth_columns = {"person_id", "resident_at_start", "second_la_person_id"}
    for feed in contract.feeds().values():
        assert not truth_columns & set(feed.column_names)
    header = (area / "acute_apc.csv").open().readline()
    assert "person_id" not in header


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.csv"))}


def test_the_same_arguments_give_byte_identical_files(tmp_path):
    spec = AreaSpec(people=600, seed=3, months=6)
    generate(tmp_path / "a", spec, progress=False)
    generate(tmp_path / "b", spec, progress=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    generate(tmp_path / "c", AreaSpec(people=600, seed=4, months=6), progress=False)
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_a_wrong_valid_nhs_number_is_someone_elses_most_often_a_household_members(area):
    people = {r["person_id"]: r for r in rows(area / "truth" / "people.csv")}
    owner = {p["nhs_number"]: p for p in people.values()}
    person_of = {(r["feed"], int(r["line"])): r["person_id"]
                 for r in rows(area / "truth" / "row_person.csv")}
    wrong = [(feed, line) for (feed, flaw), lines in lines_by_flaw(area).items()
             if flaw == "wrong_valid_nhs_number" for line in lines]
    assert len(wrong) > 20
    same_family, broken = 0, broken_lines(area)
    for feed, line in wrong:
        if line in broken.get(feed, set()):
            continue
        value = normalise_nhs_number(rows(area / f"{feed}.csv")[line - 2]["nhs_number"])
        assert is_valid_nhs_number(value)
        true_person, holder = people[person_of[(feed, line)]], owner[value]
        assert holder["person_id"] != true_person["person_id"]
        same_family += holder["family_name"] == true_person["family_name"]
    # households: twins, parents and children. About 25 wrong numbers in 3,000 people: 14-44% of
    # them carried a family member's across seeds 7 and 8 (main and this generator), against
    # about 1% for anyone's, so the bound is loose
    assert same_family >= len(wrong) / 8


def test_identifier_flaws_change_what_they_say(area):
    people = {r["person_id"]: r for r in rows(area / "truth" / "people.csv")}
    person_of = {(r["feed"], int(r["line"])): r["person_id"]
                 for r in rows(area / "truth" / "row_person.csv")}
    flaws, broken = lines_by_flaw(area), broken_lines(area)
    flaws_of_row = Counter((feed, line) for (feed, _), lines in flaws.items() for line in lines)
    for (feed, flaw), lines in flaws.items():
        if flaw not in ("swapped_names", "initial", "placeholder_dob", "former_family_name"):
            continue
        data = rows(area / f"{feed}.csv")
        alone = {line for line in lines if flaws_of_row[(feed, line)] == 1}
        for line in sorted(alone - broken.get(feed, set()))[:50]:
            row, person = data[line - 2], people[person_of[(feed, line)]]
            if flaw == "placeholder_dob":
                assert row["date_of_birth"][5:] == "01-01", (feed, line)
            elif flaw == "initial":
                assert len(row["given_name"]) == 1, (feed, line)
            elif flaw == "former_family_name":
                assert row["family_name"] != person["family_name"], (feed, line)
            elif person["given_name"] != person["family_name"]:  # swapped names
                assert row["given_name"] == person["family_name"], (feed, line)


def test_the_population_has_twins_and_same_name_same_birthday_strangers(area):
    people = rows(area / "truth" / "people.csv")
    by_family_dob = Counter((p["family_name"], p["date_of_birth"]) for p in people)
    by_name_dob = Counter((p["given_name"], p["family_name"], p["date_of_birth"]) for p in people)
    assert sum(1 for n in by_family_dob.values() if n > 1) >= 10
    assert sum(1 for n in by_name_dob.values() if n > 1) >= 2


def test_no_row_is_dated_before_its_persons_birth(area):
    """Landing rejects a row whose date of birth is after another of its dates (an age below
    0), so the generator never writes one, except where the date of birth itself is a flaw or
    the row is broken on purpose (a wrong date of birth, or a date of the person's own)."""
    flaws, broken = lines_by_flaw(area), broken_lines(area)
    checked = 0
    for feed in contract.event_feeds():
        if "date_of_birth" not in feed.column_names:
            continue
        excused = broken.get(feed.name, set()).union(
            *(flaws.get((feed.name, f), set()) for f in ("swapped_dob", "placeholder_dob"))
        )
        dated = [c.name for c in feed.columns if c.type in ("date", "datetime")]
        for line, row in enumerate(rows(area / f"{feed.name}.csv"), start=2):
            if line in excused or not row["date_of_birth"]:
                continue
            others = [row[c][:10] for c in dated if c != "date_of_birth" and row[c]]
            assert all(row["date_of_birth"] <= day for day in others), (feed.name, line)
            checked += 1
    assert checked > 10_000
