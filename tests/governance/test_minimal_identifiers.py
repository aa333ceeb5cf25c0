"""Minimal identifiers: an agreement restricting feeds to NHS number, postcode, birth year and
month and sex; landing discards names and the day of birth before anything reaches the vault."""

import datetime as dt
import json

import duckdb
import yaml

from joinedup.governance.register import load_register
from joinedup.governance.synthetic import write_register
from joinedup.landing import load_paths
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate

MINIMAL = ("acute_apc", "acute_ae", "social_care_events", "gp_register")


def test_no_name_or_day_of_birth_of_a_minimal_feed_reaches_the_vault(tmp_path):
    area = tmp_path / "area"
    generate(area, AreaSpec(people=400, seed=9, months=12), progress=False)
    path = write_register(area)
    apc = (area / "acute_apc.csv").read_text().splitlines()
    header, first = apc[0].split(","), apc[1].split(",")
    first[header.index("admission_date")] = "not a date"  # a rejected row, kept in quarantine
    (area / "acute_apc.csv").write_text("\n".join([*apc, ",".join(first)]) + "\n")
    data = yaml.safe_load(path.read_text())
    for agreement in data["agreements"]:
        if agreement["feed"] in MINIMAL:
            agreement["identifiers"] = "minimal"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_register(path).minimal_feeds(dt.date(2014, 6, 1)) == set(MINIMAL)

    vault = tmp_path / "v.duckdb"
    load_paths(area, tmp_path / "w.duckdb", vault, dt.date(2014, 6, 1), False, path)
    con = duckdb.connect(str(vault), read_only=True)
    records = con.execute(
        "SELECT feed, count(*), count(given_name), count(family_name),"
        " count(*) FILTER (WHERE day(date_of_birth) <> 1) FROM identifier_records GROUP BY 1"
    ).fetchall()
    by_feed = {feed: counts for feed, *counts in records}
    for feed in MINIMAL:
        assert by_feed[feed][0] > 0 and by_feed[feed][1:] == [0, 0, 0], feed
    assert by_feed["community_contacts"][3] > 0  # a full feed keeps its days of birth
    quarantined = [json.loads(raw) for feed, raw in con.execute(
        "SELECT feed, raw_values FROM quarantine WHERE kind = 'rejected_row'").fetchall()
        if feed in MINIMAL]  # fmt: skip
    assert quarantined
    for row in quarantined:
        assert not row.get("given_name") and not row.get("family_name")
        assert not row.get("date_of_birth") or row["date_of_birth"].endswith("-01")
    con.close()
