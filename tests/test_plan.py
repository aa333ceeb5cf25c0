import json
import textwrap

import pytest

from joinedup.cli import main
from joinedup.errors import BadInput
from joinedup.plan import load_plan

MINIMAL = """\
area: Test borough
baseline_year: "2013/14"
pooled_budget: {"2015/16": 1000000}
schemes:
  - {id: "001", name: Falls service, investment: 250000, expected_return: 40000, metrics: [falls_65]}
trajectories:
  falls_65:
    targets: {"2014/15": 2000, "2015/16": 1900}
"""


def write_plan(tmp_path, text):
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_default_plan_follows_southends_2015_16_plan():
    plan = load_plan()
    nel = plan.trajectories["nel_admissions"]
    assert [nel.target(y) for y in ("2013/14", "2014/15", "2015/16")] == [18645, 18399, 18111]
    assert sum(nel.target(f"{y}-{m:02d}") for y, m in _months(2015)) == pytest.approx(18111)
    assert plan.baseline_year == "2013/14"
    assert plan.pooled_budget == {"2014/15": 687_000, "2015/16": 12_772_000}
    assert plan.total_investment == pytest.approx(12_772_000)
    assert [s.id for s in plan.schemes] == ["001", "002", "003a", "003b", "004", "005"]
    first = plan.schemes[0]
    assert (first.investment, first.expected_return, first.other_savings) == (
        4_781_000,
        494_000,
        514_000,
    )
    assert plan.schemes[3].expected_return is None


def test_default_residential_admissions_fall_from_200_to_177_a_year():
    res = load_plan().trajectories["res_admissions_65"]
    assert res.measure == "numerator"
    assert res.target("2014/15") == 200
    assert res.target("2015-04") * 12 == pytest.approx(200, abs=0.1)
    assert res.target("2016-03") * 12 == pytest.approx(177, abs=0.1)
    monthly = [res.target(f"{y}-{m:02d}") for y, m in _months(2015)]
    assert monthly == sorted(monthly, reverse=True)


def test_default_plan_has_targets_for_the_other_metrics():
    plan = load_plan()
    assert plan.target("reablement_91d", "2014/15") == 80.0
    assert plan.target("dementia_dx_rate", "2015-03") == pytest.approx(66.7)
    assert plan.experience_question == "GPPS_LTC_SUPPORT"
    assert set(plan.trajectories) >= {"dtoc_days", "patient_experience", "falls_65", "readmissions_30d",
                                      "ae_attendances", "ae_conversion", "care_home_emergencies",
                                      "eol_home_deaths", "eol_admissions"}  # fmt: skip


def test_default_plan_scales_counts_and_money_but_not_rates_by_population():
    full, small = load_plan(), load_plan(people=17_500)
    assert small.target("nel_admissions", "2015/16") == pytest.approx(1811.1)
    assert small.target("ae_attendances", "2015-04") == pytest.approx(445.5)
    assert small.total_investment == pytest.approx(1_277_200)
    assert small.pooled_budget["2015/16"] == pytest.approx(1_277_200)
    assert small.target("reablement_91d", "2015/16") == full.target("reablement_91d", "2015/16")
    assert small.target("dtoc_days", "2015-04") == full.target("dtoc_days", "2015-04")


def test_a_users_plan_is_read_as_written(tmp_path):
    plan = load_plan(write_plan(tmp_path, MINIMAL), people=3000)
    assert plan.area == "Test borough"
    assert plan.target("falls_65", "2015/16") == 1900
    assert plan.target("falls_65", "2016/17") is None
    assert plan.target("nel_admissions", "2015/16") is None
    assert plan.schemes[0].metrics == ("falls_65",)
    assert plan.total_investment == 250_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("area: Test borough\n", ""), "area: required key is missing"),
        (("area: Test borough\n", "area: Test\nsponsor: x\n"), "sponsor: unknown key"),
        (
            ('baseline_year: "2013/14"', 'baseline_year: "2013/15"'),
            "baseline_year: must be a financial year",
        ),
        (("falls_65:\n", "falls_6:\n"), "trajectories.falls_6: 'falls_6' is not a metric"),
        (
            ('"2014/15": 2000', '"2015-13": 2000'),
            "trajectories.falls_65.targets.2015-13: must be a month",
        ),
        (
            ('"2015/16": 1900', '"2015/16": lots'),
            "trajectories.falls_65.targets.2015/16: must be a number",
        ),
        (("investment: 250000", "investment: -5"), r"schemes\[0\].investment: must be a number"),
        (
            ("metrics: [falls_65]", "metrics: [falls]"),
            r"schemes\[0\].metrics: 'falls' is not a metric",
        ),
        (
            ("    targets:", "    measure: rate\n    targets:"),
            "trajectories.falls_65.measure: must be one of",
        ),
        (('{"2015/16": 1000000}', "[1000000]"), "pooled_budget: must be a mapping"),
    ],
)
def test_plan_mistakes_are_bad_input_naming_the_key(tmp_path, change, message):
    old, new = change
    assert old in MINIMAL
    path = write_plan(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(BadInput, match=message) as raised:
        load_plan(path)
    assert str(path) in str(raised.value)


def test_duplicate_scheme_ids_are_refused(tmp_path):
    text = MINIMAL.replace(
        "trajectories:", '  - {id: "001", name: Again, investment: 1}\ntrajectories:'
    )
    with pytest.raises(BadInput, match="scheme id '001' appears more than once"):
        load_plan(write_plan(tmp_path, text))


def test_unreadable_and_malformed_files_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="cannot read the plan file"):
        load_plan(tmp_path / "missing.yaml")
    with pytest.raises(BadInput, match=r"plan.yaml, line 2: the plan file is not valid YAML \("):
        load_plan(write_plan(tmp_path, "area: x\n  : [unclosed\n"))
    with pytest.raises(BadInput, match="a plan must be a mapping"):
        load_plan(write_plan(tmp_path, "- just a list\n"))


def _months(year):
    return [(year + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(12)]


def test_plan_command_prints_the_default_plan_scaled(capsys):
    assert main(["plan", "--people", "17500"]) == 0
    out = capsys.readouterr().out
    assert "pooled budget 2015/16: £1,277,200" in out
    assert "scheme 003b Reablement: invests £143,100, returns none stated" in out
    assert "trajectory res_admissions_65 (numerator): 34 targets" in out


def test_plan_command_prints_a_users_plan_as_json(tmp_path, capsys):
    assert main(["plan", "--file", str(write_plan(tmp_path, MINIMAL)), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["trajectories"]["falls_65"]["targets"] == {"2014/15": 2000.0, "2015/16": 1900.0}
    assert plan["schemes"][0]["id"] == "001"


def test_plan_command_reports_a_bad_plan_in_one_line_with_exit_3(tmp_path, capsys):
    path = write_plan(tmp_path, MINIMAL.replace("falls_65:\n", "falls:\n"))
    assert main(["plan", "--file", str(path)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"joinedup plan: error: {path}: trajectories.falls: 'falls' is not a metric of metrics.md"
    ]
