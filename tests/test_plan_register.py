"""The plan register: risks (scored likelihood x impact, money at risk, owner, who bears it,
mitigations), milestones, each scheme's go-live date, national conditions and sub-projects, and
the risk-sharing terms; checked like the rest of the plan and carried by the return workbook."""

import datetime as dt
import textwrap

import openpyxl
import pytest

from joinedup.errors import BadInput
from joinedup.plan import load_plan
from joinedup.plan.loader import NATIONAL_CONDITIONS
from joinedup.plan.workbook import read_plan, write_return

PLAN = """\
area: Thanet
baseline_year: "2014/15"
pooled_budget: {"2015/16": 1000000}
schemes:
  - id: "7"
    name: Frailty
    investment: 600000
    go_live: 2015-06-01
    conditions:
      seven_day_services: {met: partly, evidence: "weekend discharge team from October"}
      data_sharing: {met: "yes"}
    sub_projects:
      - {name: Frailty unit, investment: 400000, lead: Acute trust}
      - {name: Community geriatrician, investment: 200000}
trajectories:
  ae_4h: {targets: {"2015/16": 95}}
risk_sharing: {CCG: 0.7, Council: 0.3}
risks:
  - id: R1
    description: Admissions do not fall
    likelihood: 4
    impact: 5
    at_risk: 250000
    owner: CCG
    bears: CCG and Council
    mitigations: [weekly review, second frailty nurse]
milestones:
  - {scheme: "7", description: Frailty unit opens, due: 2015-06-01, status: done}
  - {description: Plan signed off by the board, due: 2015-03-31, status: late}
"""


def written(tmp_path, text=PLAN):
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_register_is_read_with_scores_dates_and_conditions(tmp_path):
    plan = load_plan(written(tmp_path))
    (risk,) = plan.risks
    assert (risk.score, risk.at_risk, risk.bears) == (20, 250_000, "CCG and Council")
    assert risk.mitigations == ("weekly review", "second frailty nurse")
    scheme = plan.scheme("7")
    assert scheme.go_live == dt.date(2015, 6, 1)
    assert scheme.conditions["seven_day_services"].met == "partly"
    assert scheme.conditions["data_sharing"].evidence == ""
    assert [p.investment for p in scheme.sub_projects] == [400_000, 200_000]
    assert [(m.scheme, m.status) for m in plan.milestones] == [("7", "done"), ("", "late")]
    assert plan.risk_sharing == {"CCG": 0.7, "Council": 0.3}


def test_the_default_plan_has_a_register_for_every_national_condition_it_names():
    plan = load_plan()
    assert {r.id for r in plan.risks} >= {"R1"} and plan.risk_sharing
    assert plan.scheme("004").go_live == dt.date(2015, 4, 1)
    named = {c for s in plan.schemes for c in s.conditions}
    assert named and named <= set(NATIONAL_CONDITIONS)
    assert sum(p.investment for p in plan.scheme("003a").sub_projects) == 3_051_000


def test_the_workbook_carries_the_register_and_gives_it_back(tmp_path):
    plan = load_plan(written(tmp_path))
    write_return(plan, "2015/16-Q2", tmp_path / "return.xlsx", None)
    assert read_plan(tmp_path / "return.xlsx") == plan
    book = openpyxl.load_workbook(tmp_path / "return.xlsx")
    risk = next(book["Risk log"].iter_rows(min_row=2, values_only=True))
    assert risk[:7] == ("R1", 4, 5, 20, 250_000, "CCG", "CCG and Council")
    conditions = list(book["National conditions"].iter_rows(min_row=2, values_only=True))
    assert (
        "7",
        "seven_day_services",
        "partly",
        "weekend discharge team from October",
    ) in conditions
    assert [r[1] for r in book["Sub-projects"].iter_rows(min_row=2, values_only=True)] == [
        "Frailty unit",
        "Community geriatrician",
    ]
    assert len(list(book["Milestones"].iter_rows(min_row=2))) == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("likelihood: 4", "likelihood: 6", r"risks\[0\].likelihood: must be a whole number from 1"),
        ("    owner: CCG\n", "", r"risks\[0\].owner: required key is missing"),
        ("status: late", "status: soon", r"milestones\[1\].status: must be one of"),
        (
            'scheme: "7", description: Frailty',
            'scheme: "9", description: Frailty',
            r"milestones\[0\].scheme: no scheme '9'",
        ),
        ("data_sharing:", "data_mining:", r"conditions.data_mining: not a national condition"),
        ("met: partly", "met: maybe", r"seven_day_services.met: must be one of"),
        ("Council: 0.3}", "Council: 0.4}", "risk_sharing: the shares must add up to 1"),
        ("go_live: 2015-06-01", "go_live: June", r"schemes\[0\].go_live: must be a date"),
    ],
)
def test_register_mistakes_are_bad_input_naming_the_key(tmp_path, old, new, message):
    assert old in PLAN
    with pytest.raises(BadInput, match=message):
        load_plan(written(tmp_path, PLAN.replace(old, new, 1)))
