"""The governance register: the generated area's one validates and covers every feed; a broken
one is refused with its file, line and key; `load --register` lands only agreed feeds."""

import datetime as dt

import duckdb
import pytest
import yaml
from cli_helpers import load_args

from joinedup import contract
from joinedup.cli import main
from joinedup.errors import BadInput
from joinedup.governance.register import load_register
from joinedup.governance.synthetic import DEMO_USER_IDS


@pytest.fixture(scope="module")
def small_area(tmp_path_factory):
    area = tmp_path_factory.mktemp("register") / "area"
    assert main(["synth", "--out", str(area), "--people", "200", "--seed", "5", "--quiet"]) == 0
    return area


def test_the_generated_register_covers_every_feed_practice_and_role(small_area):
    register = load_register(small_area / "register.yaml")
    assert register.active_feeds(dt.date(2016, 5, 1)) == {f.name for f in contract.event_feeds()}
    practices = (small_area / "practices.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in practices} <= set(register.organisations)
    kinds = {o.kind for o in register.organisations.values()}
    assert {
        "council",
        "ccg",
        "acute_trust",
        "community_trust",
        "mental_health_trust",
        "ambulance",
    } <= kinds
    assert {t.kind for t in register.teams.values()} >= {
        "practice",
        "integrated_team",
        "community_team",
        "social_care_team",
        "hospital_team",
    }
    assert tuple(register.users)[: len(DEMO_USER_IDS)] == DEMO_USER_IDS
    assert len({u.role for u in register.users.values()}) == 9
    practices = [o.code for o in register.organisations.values() if o.kind == "gp_practice"]
    for code in practices:  # every practice's MDT has its GP, a community matron, a social worker
        members = {u.role for u in register.users.values() if f"MDT-{code}" in u.teams}
        assert members >= {"gp", "clinician", "social_worker"}
    assert len(register.sha256) == 64


def _broken(tmp_path, small_area, change) -> str:
    data = yaml.safe_load((small_area / "register.yaml").read_text())
    change(data)
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(BadInput) as error:
        load_register(path)
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "key", "rule", "on_line"),
    [
        (
            lambda d: d["agreements"][2].update(legal_basis="vibes"),
            "agreements[2].legal_basis",
            "must be one of",
            "legal_basis: vibes",
        ),
        (
            lambda d: d["agreements"][0].update(purposes=["marketing"]),
            "agreements[0].purposes[0]",
            "a purpose",
            "- marketing",
        ),
        (
            lambda d: d["agreements"][1].pop("reference"),
            "agreements[1].reference",
            "CAG reference",
            "feed: deaths",
        ),
        (
            lambda d: d["users"][2].update(role="superuser"),
            "users[2].role",
            "must be one of",
            "role: superuser",
        ),
        (
            lambda d: d["users"][0].update(organisation="NOPE"),
            "users[0].organisation",
            "no organisation",
            "organisation: NOPE",
        ),
        (
            lambda d: d["teams"][0].update(colour="red"),
            "teams[0].colour",
            "unknown key",
            "colour: red",
        ),
        (
            lambda d: d["agreements"][3].update(identity_review="yes"),
            "agreements[3].identity_review",
            "true or false",
            "identity_review: 'yes'",
        ),
        (
            lambda d: d["users"].insert(9, dict(d["users"][0])),
            "users[9].id",
            "repeats",
            "id: board.demo",
        ),
    ],
)
def test_a_broken_register_names_file_line_and_key(
    tmp_path, small_area, change, key, rule, on_line
):
    message = _broken(tmp_path, small_area, change)
    assert message.startswith(f"{tmp_path / 'register.yaml'}, line ")
    assert f"key {key}: " in message and rule in message
    line = int(message.split(", line ")[1].split(",")[0])
    assert on_line in (tmp_path / "register.yaml").read_text().splitlines()[line - 1]


def test_load_with_a_register_lands_only_feeds_with_an_active_agreement(
    tmp_path, small_area, capsys
):
    data = yaml.safe_load((small_area / "register.yaml").read_text())
    for agreement in data["agreements"]:
        if agreement["feed"] == "experience_survey":
            agreement["end"] = dt.date(2014, 3, 31)
    register = tmp_path / "register.yaml"
    register.write_text(yaml.safe_dump(data, sort_keys=False))
    warehouse = tmp_path / "w.duckdb"
    args = [*load_args(small_area, warehouse, tmp_path / "v.duckdb"), "--register", str(register)]
    assert main(args) == 0
    assert "skipped (no active agreement): experience_survey" in capsys.readouterr().out
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute(
        "SELECT count(*) FROM load_files WHERE file LIKE 'experience_survey%'"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT count(*) FROM load_files WHERE file LIKE 'acute_apc%'"
    ).fetchone() == (1,)


def test_a_purpose_that_an_agreement_does_not_allow_is_named(tmp_path, small_area):
    data = yaml.safe_load((small_area / "register.yaml").read_text())
    for agreement in data["agreements"]:
        if agreement["feed"].startswith("gp_"):
            agreement["purposes"] = ["direct_care", "commissioning"]
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    register = load_register(path)
    day = dt.date(2016, 5, 1)
    assert register.feeds_without_purpose("commissioning", day) == []
    assert register.feeds_without_purpose("evaluation", day) == [
        "gp_appointments",
        "gp_conditions",
        "gp_medications",
        "gp_register",
    ]


def test_a_register_that_is_not_yaml_names_its_file_and_line(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("organisations:\n  - code: [unclosed\n")
    with pytest.raises(BadInput, match=r"register.yaml, line 3: the register is not valid YAML"):
        load_register(path)
    path.write_bytes(b"organisations: \xff\n")
    with pytest.raises(BadInput, match="register.yaml: the register is not UTF-8 text"):
        load_register(path)
