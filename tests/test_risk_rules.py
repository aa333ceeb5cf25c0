from datetime import date

import pytest
from risk_area import Warehouse

from joinedup.errors import BadInput
from joinedup.risk.features import build_features
from joinedup.risk.rules import load_rules, parse_rules

INDEX = date(2014, 4, 1)


def area(tmp_path) -> Warehouse:
    w = Warehouse(tmp_path / "w.duckdb")
    # old, two LTCs, dementia: two of the four criteria -> flagged
    w.person("old_ltc_dem", birth_month="1930-01")
    for code in ("HF", "DEM"):
        w.condition("old_ltc_dem", code, date(2012, 1, 1))
    # old, frequent A&E only: one criterion -> not flagged
    w.person("old_ae", birth_month="1930-01")
    for month in (11, 12):
        w.ae("old_ae", date(2013, month, 5))
    # young with everything -> not flagged (age is required)
    w.person("young", birth_month="1980-01")
    for code in ("HF", "DM", "DEM"):
        w.condition("young", code, date(2012, 1, 1))
    # exactly 65 is not over 65; social care memory support counts as cognitive evidence
    w.person("aged_65", birth_month="1948-09")
    w.condition("aged_65", "HF", date(2012, 1, 1))
    w.condition("aged_65", "DM", date(2012, 1, 1))
    w.service("aged_65", date(2013, 1, 1), reason="MEMORY_COGNITION")
    # old, ten distinct medicines in the last 90 days and social care memory support
    w.person("old_meds", birth_month="1940-01")
    for i in range(10):
        w.medicine("old_meds", f"04{i:02d}010A0AAAAAA", date(2014, 3, 1))
    w.service("old_meds", date(2013, 1, 1), reason="MEMORY_COGNITION")
    return w


def flagged(w: Warehouse, rules) -> list[str]:
    table = build_features(w.con, INDEX)
    return sorted(w.pseudonyms(table.pseudo_ids[rules.flag(table)]))


def test_the_southend_rule_flags_over_65s_meeting_two_of_four_criteria(tmp_path):
    assert flagged(area(tmp_path), load_rules()) == ["old_ltc_dem", "old_meds"]


def test_reasons_name_every_criterion_met(tmp_path):
    w = area(tmp_path)
    table = build_features(w.con, INDEX)
    reasons = dict(zip(w.pseudonyms(table.pseudo_ids), load_rules().reasons(table), strict=True))
    assert reasons["old_ltc_dem"] == "aged_over_65; multimorbidity; cognitive_problems"
    assert reasons["old_ae"] == "aged_over_65; frequent_ae"
    assert reasons["old_meds"] == "aged_over_65; polypharmacy; cognitive_problems"


def test_a_rule_file_changes_the_thresholds(tmp_path):
    rules = parse_rules(
        {
            "name": "any_frequent_ae",
            "criteria": {"frequent_ae": {"feature": "ae_6m", "op": ">=", "value": 2}},
            "flag_when": {"all": ["frequent_ae"]},
        },
        "test",
    )
    assert flagged(area(tmp_path), rules) == ["old_ae"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("criteria: {}\n", "'criteria' must be a non-empty mapping"),
        (
            "criteria: {a: {feature: shoe_size, op: '>', value: 1}}\nflag_when: {all: [a]}\n",
            "criteria.a: unknown feature 'shoe_size'",
        ),
        (
            "criteria: {a: {feature: age, op: '~', value: 1}}\nflag_when: {all: [a]}\n",
            "criteria.a: op must be one of",
        ),
        (
            "criteria: {a: {feature: age, op: '>', value: 1}}\nflag_when: {all: [b]}\n",
            "flag_when names unknown criterion 'b'",
        ),
        (
            "criteria: {a: {feature: age, op: '>', value: 1}}\nflag_when: {at_least: 2, of: [a]}\n",
            "flag_when.at_least",
        ),
        ("criteria: [\n", "not valid YAML"),
    ],
)
def test_a_bad_rule_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as raised:
        load_rules(path)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)
