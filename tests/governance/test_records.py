"""The data-flow register and the fair processing notice name every feed of the contract and
every purpose of the register."""

import csv
import dataclasses
import io
import re

import pytest

from joinedup.cli import main
from joinedup.governance import records
from joinedup.governance.register import load_register, person_level_feeds
from joinedup.governance.synthetic import write_register
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate


@pytest.fixture(scope="module")
def register_path(tmp_path_factory):
    area = tmp_path_factory.mktemp("records_area")
    generate(area, AreaSpec(people=300, seed=5, months=12), progress=False)
    return write_register(area)


def _register_purposes(register) -> set[str]:
    return {p for a in register.agreements for p in a.purposes}


def missing_from_notice(text: str, register) -> tuple[set, set]:
    feeds = set(re.findall(r'data-feed="([a-z_]+)"', text))
    purposes = set(re.findall(r'data-purpose="([a-z_]+)"', text))
    return set(person_level_feeds()) - feeds, _register_purposes(register) - purposes


def test_the_flows_csv_has_a_row_per_feed_with_its_agreement(register_path, tmp_path):
    out = tmp_path / "flows.csv"
    assert main(["records", "flows", "--register", str(register_path), "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["feed"] for r in rows] == list(person_level_feeds())
    register = load_register(register_path)
    listed = {p for r in rows for p in r["purposes"].split("; ")}
    assert listed == _register_purposes(register)
    apc = next(r for r in rows if r["feed"] == "acute_apc")
    assert "nhs_number" in apc["identifiers"] and apc["retention_years"] == "8"
    assert apc["legal_basis"] == "s251" and apc["reference"]


def test_the_printable_notice_shows_every_feed_and_purpose_with_its_version(
    register_path, tmp_path
):
    out = tmp_path / "notice.html"
    assert main(["records", "notice", "--register", str(register_path), "--out", str(out)]) == 0
    text, register = out.read_text(), load_register(register_path)
    assert missing_from_notice(text, register) == (set(), set())
    assert f"Version {register.sha256[:12]}" in text and "<script" not in text
    for words in ("national data opt-out", "Type 1", "objection to sharing", "social care opt-out"):
        assert words in text
    assert re.search(r"\d+ GP practices", text)


def test_a_missing_feed_or_purpose_is_caught(register_path):
    register = load_register(register_path)
    without_deaths = dataclasses.replace(
        register, agreements=tuple(a for a in register.agreements if a.feed != "deaths")
    )
    text = records.notice_html(records.notice(without_deaths))
    assert missing_from_notice(text, register) == ({"deaths"}, set())
    flows = records.data_flows(without_deaths)
    assert next(f for f in flows if f["feed"] == "deaths")["active"] is False
