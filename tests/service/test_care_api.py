"""Tier I over real HTTP (issue 11): the loop from the worklist through the MDT to a versioned
care plan; role separation in the record; refusals without a relationship, an expired caseload
entry, its grace, break glass alerted to the IG lead and closed; the DIRECT objection; and the
relationship's rule in the audit record of every tier I read and write."""

import csv
import datetime as dt
import itertools
import json
import sqlite3

import duckdb
import pytest
from web_helpers import ROLE_USERS, as_role, csrf, pseudonymous

from joinedup.governance.register import load_register
from joinedup.identity.directory import Directory

DIAGNOSES = {"condition", "primary_diagnosis", "secondary_diagnoses", "hrg_code",
             "underlying_cause", "main_specialty", "bnf_code"}  # fmt: skip


@pytest.fixture(scope="module")
def area(server):
    register = load_register(server.register)
    practice = register.users[ROLE_USERS["gp"]].organisation
    team = next(t for t in register.users[ROLE_USERS["clinician"]].teams if t.startswith("IT-"))
    con = pseudonymous(server.warehouse)
    open_service = {p for (p,) in con.execute(
        "SELECT pseudo_id FROM social_care_events WHERE event_type = 'SERVICE'"
        " AND event_end_date IS NULL").fetchall()}  # fmt: skip
    registered = [p for (p,) in con.execute(
        "SELECT pseudo_id FROM gp_register WHERE practice_code = ? AND deregistration_date IS NULL"
        " ORDER BY pseudo_id DESC", [practice]).fetchall() if p not in open_service]  # fmt: skip
    elsewhere = [p for (p,) in con.execute(
        "SELECT pseudo_id FROM gp_register WHERE practice_code <> ? ORDER BY pseudo_id DESC",
        [practice]).fetchall() if p not in open_service]  # fmt: skip
    objector = con.execute(  # with hospital rows, which another organisation sent
        "SELECT o.pseudo_id FROM objections o JOIN acute_apc s USING (pseudo_id)"
        " WHERE o.objection_type = 'DIRECT' AND o.withdrawn_date IS NULL ORDER BY 1 LIMIT 1"
    ).fetchone()
    con.close()
    return {"practice": practice, "team": team, "registered": registered,
            "elsewhere": elsewhere, "objector": objector and objector[0]}  # fmt: skip


def audit_rules(server, pseudonym: str) -> list[tuple[str, str, str]]:
    records = [json.loads(line) for line in server.audit.read_text().splitlines()]
    return [(r["action"], r["decision"], r["rule"]) for r in records
            if r["people"] == [pseudonym] and r["tier"] == "I"]  # fmt: skip


def post(client, path, **form):
    return client.post(path, data={**form, "csrf_token": csrf(client)})


def person_key(server, pseudonym: str) -> int:
    return Directory(server.root / "vault.duckdb").person_key(pseudonym)


def backdate_caseload(server, person: str, team: str, days_ago: int) -> None:
    day = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days_ago)).isoformat()
    with sqlite3.connect(server.service) as con:
        con.execute(
            "INSERT INTO caseload (person_key, team, accepted, accepted_by, reason)"
            " VALUES (?, ?, ?, 'social.demo', 'test')",
            (person_key(server, person), team, day),
        )


def true_identity(server, pseudonym: str) -> dict:
    """The generated truth of the person behind a pseudonym (via their gp_register row's line,
    from the vault's lineage)."""
    con = pseudonymous(server.warehouse)
    con.execute(f"ATTACH '{server.root / 'vault.duckdb'}' AS vault (READ_ONLY)")
    (line,) = con.execute(
        "SELECT min(l.line) FROM gp_register g JOIN vault.row_lineage l"
        " ON l.feed = 'gp_register' AND l.row_id = g._row_id"
        " WHERE g.pseudo_id = ?",
        [pseudonym],
    ).fetchone()
    con.close()
    with (server.area / "truth" / "row_person.csv").open() as handle:
        person = next(r["person_id"] for r in csv.DictReader(handle)
                      if r["feed"] == "gp_register" and int(r["line"]) == line)  # fmt: skip
    with (server.area / "truth" / "people.csv").open() as handle:
        return next(r for r in csv.DictReader(handle) if r["person_id"] == person)


def test_the_loop_from_worklist_to_mdt_to_a_care_plan_the_social_worker_sees(server, area):
    gp, nurse, social = (
        as_role(server, "gp"),
        as_role(server, "clinician"),
        as_role(server, "social_worker"),
    )
    worklist = gp.get("/api/v1/worklist").json()
    assert worklist["rows"]
    assert all(r["practice"] == area["practice"] or r["on_caseload"] for r in worklist["rows"])
    scores = [r["emergency_admission"] for r in worklist["rows"]]
    assert scores == sorted(scores, reverse=True)
    person = next(r["pseudonym"] for r in worklist["rows"] if r["pseudonym"] in area["registered"])
    seen = gp.get(f"/api/v1/persons/{person}/record")
    assert seen.status_code == 200 and seen.json()["relationship"] == "registration"
    truth, identity = true_identity(server, person), seen.json()["identity"]
    assert identity["nhs_number"] == truth["nhs_number"]
    assert identity["date_of_birth"] == truth["date_of_birth"]
    assert truth["family_name"].upper() in identity["name"].upper()
    row = next(r for r in worklist["rows"] if r["pseudonym"] == person)
    assert row["identity"] == identity and row["relationship"] == "registration"
    assert row["reasons"] and isinstance(row["rule_flagged"], bool)
    refused = social.get(f"/api/v1/persons/{person}/record")
    assert refused.status_code == 403 and truth["nhs_number"] not in refused.text
    referral = post(gp, "/api/v1/mdt/referrals", pseudonym=person, team=area["team"],
                    reason="rising risk, lives alone")  # fmt: skip
    assert referral.status_code == 200, referral.text
    meeting = post(nurse, "/api/v1/mdt/meetings", team=area["team"], day="2026-12-01",
                   members=f"{ROLE_USERS['gp']},{ROLE_USERS['social_worker']}")  # fmt: skip
    meeting_id = meeting.json()["meeting"]["id"]
    agenda = nurse.get(f"/api/v1/mdt/meetings/{meeting_id}").json()["agenda"]
    referred = [a for a in agenda if a["source"] == "referral"]
    assert [a["pseudonym"] for a in referred] == [person]
    assert referred[0]["identity"] is None  # referred, not yet accepted: no relationship
    assert nurse.get(f"/api/v1/persons/{person}/record").status_code == 403
    actions = json.dumps([{"action": "falls assessment", "owner": ROLE_USERS["clinician"],
                           "due": "2026-12-15"}])  # fmt: skip
    outcome = post(nurse, f"/api/v1/mdt/meetings/{meeting_id}/outcomes", pseudonym=person,
                   outcome="joint care plan agreed", lead=ROLE_USERS["clinician"], actions=actions)  # fmt: skip
    assert outcome.status_code == 200, outcome.text
    plan = {"goals": "stay at home", "interventions": "home care review", "review_date": "2027-03-01",
            "lead_professional": ROLE_USERS["clinician"], "preferred_place_of_death": "HOME"}  # fmt: skip
    assert post(nurse, f"/api/v1/persons/{person}/care-plan", **plan).json()["version"] == 1
    assert (
        post(
            nurse, f"/api/v1/persons/{person}/care-plan", **{**plan, "goals": "walk again"}
        ).json()["version"]
        == 2
    )
    versions = social.get(f"/api/v1/persons/{person}/care-plan").json()["versions"]
    assert [(v["version"], v["goals"]) for v in versions] == [
        (1, "stay at home"),
        (2, "walk again"),
    ]
    record = social.get(f"/api/v1/persons/{person}/record").json()
    assert record["relationship"] == "caseload" and record["care_plan"]["version"] == 2
    assert not any(feed.startswith("gp_") for feed in record["rows"])
    assert {"acute_apc", "social_care_events"} <= set(record["rows"])
    assert not {c for rows in record["rows"].values() for row in rows for c in row} & DIAGNOSES
    assert record["mdt"][0]["lead"] == ROLE_USERS["clinician"]
    accepted = nurse.get(f"/api/v1/mdt/meetings/{meeting_id}").json()  # the outcome accepted them
    assert next(o for o in accepted["outcomes"] if o["pseudonym"] == person)
    assert nurse.get(f"/api/v1/persons/{person}/record").json()["identity"] == identity
    assert record["mdt"][0]["actions"][0]["due"] == "2026-12-15"
    full = gp.get(f"/api/v1/persons/{person}/record").json()
    assert "gp_conditions" in full["rows"] and not full["objected"]
    con = pseudonymous(server.warehouse)
    for feed, rows in full["rows"].items():  # the service's sorted copies hold every row
        count = f"SELECT count(*) FROM {feed} WHERE pseudo_id = ?"
        assert len(rows) == con.execute(count, [person]).fetchone()[0], feed
    con.close()
    page = social.get(f"/persons/{person}/record")
    assert page.status_code == 200 and 'id="care-plan"' in page.text and "walk again" in page.text
    assert 'id="feed-gp_' not in page.text
    shown = {feed for feed, rows in record["rows"].items() if rows}
    assert all(f'id="feed-{feed}"' in page.text for feed in shown)
    assert f"/persons/{person}/record" in gp.get("/worklist").text
    worklist = gp.get("/api/v1/worklist").json()["rows"]
    assert next(r for r in worklist if r["pseudonym"] == person)["on_care_plan"]
    rules = audit_rules(server, person)
    assert ("GET api 200", "allow", "relationship:registration") in rules
    assert ("GET api 403", "deny", "relationship:no_relationship") in rules
    assert ("POST api 200", "allow", "relationship:referral") in rules
    assert ("GET api 200", "allow", "relationship:caseload") in rules
    assert sum(1 for a, d, _ in rules if a.startswith("POST") and d == "allow") == 4
    for kept in (server.audit, server.log):  # identities are shown, never written down
        text = kept.read_text()
        assert truth["nhs_number"] not in text and truth["family_name"] not in text


def test_the_worklist_sorts_and_filters(server, area):
    gp = as_role(server, "gp")
    for sort in ("permanent_care", "high_cost"):
        rows = gp.get("/api/v1/worklist", params={"sort": sort}).json()["rows"]
        assert [r[sort] for r in rows] == sorted((r[sort] for r in rows), reverse=True)
    high = gp.get("/api/v1/worklist", params={"tier": "high"}).json()["rows"]
    assert high and {r["tier"] for r in high} == {"high"}
    flagged = gp.get("/api/v1/worklist", params={"flagged": "yes"}).json()["rows"]
    assert all(r["rule_flagged"] for r in flagged)
    unplanned = gp.get("/api/v1/worklist", params={"plan": "no"}).json()["rows"]
    assert unplanned and not any(r["on_care_plan"] for r in unplanned)
    assert gp.get("/api/v1/worklist", params={"sort": "age"}).status_code == 400
    everyone = gp.get("/api/v1/worklist").json()["rows"]
    scored = gp.get("/api/v1/worklist", params={"index_date": "2016-04-01"}).json()["rows"]
    assert scored == everyone  # the latest scoring by name (the area is scored once)
    assert gp.get("/api/v1/worklist", params={"index_date": "2014-04-01"}).json()["rows"] == []
    assert gp.get("/api/v1/worklist", params={"index_date": "April"}).status_code == 400
    assert all((r["identity"] is None) == (r["relationship"] is None) for r in everyone)
    for r in [r for r in everyone if r["identity"] is None][:3]:  # left or died: no relationship
        assert gp.get(f"/api/v1/persons/{r['pseudonym']}/record").status_code == 403


def test_break_glass_opens_marked_and_alerts_the_ig_lead_until_reviewed(server, area):
    nurse, ig = as_role(server, "clinician"), as_role(server, "ig_lead")
    person = area["elsewhere"][0]
    assert nurse.get(f"/api/v1/persons/{person}/record").status_code == 403
    assert post(nurse, f"/api/v1/persons/{person}/break-glass", reason=" ").status_code == 400
    opened = post(nurse, f"/api/v1/persons/{person}/break-glass", reason="collapsed, unconscious")
    assert opened.json()["relationship"] == "break_glass"
    record = nurse.get(f"/api/v1/persons/{person}/record").json()
    assert record["break_glass"] is True
    assert post(nurse, f"/api/v1/persons/{person}/care-plan", goals="x").status_code == 403
    alerts = ig.get("/api/v1/audit/break-glass").json()["alerts"]
    mine = [a for a in alerts if a["pseudonym"] == person]
    assert mine and mine[0]["user"] == ROLE_USERS["clinician"]
    review = f"(review #{mine[0]['id']})"
    raised = ig.get("/api/v1/audit/alerts").json()["alerts"]
    assert any(a["kind"] == "break_glass" and review in a["detail"] for a in raised)
    assert person not in json.dumps(raised)  # the alert names the record by a prefix only
    assert post(ig, f"/api/v1/audit/break-glass/{mine[0]['id']}/review").status_code == 200
    left = ig.get("/api/v1/audit/break-glass").json()["alerts"]
    assert person not in {a["pseudonym"] for a in left}
    raised = ig.get("/api/v1/audit/alerts").json()["alerts"]
    assert not any(review in a["detail"] for a in raised)
    assert ("GET api 200", "allow", "relationship:break_glass") in audit_rules(server, person)


def unrelated(client, people: list[str], n: int) -> list[str]:
    """The first n of people the client has no relationship with now: which people share a
    team's MDT practice or an earlier test's caseload varies with each run's keys."""
    free = (p for p in people if client.get(f"/api/v1/persons/{p}/record").status_code == 403)
    return list(itertools.islice(free, n))


def test_an_expired_caseload_entry_refuses_after_its_grace(server, area):
    social = as_role(server, "social_worker")
    grace, expired = unrelated(social, area["elsewhere"][1:], 2)
    backdate_caseload(server, grace, "SC-ADULTS", 100)  # 90 days + 10 of the 30 of grace
    backdate_caseload(server, expired, "SC-ADULTS", 125)
    assert social.get(f"/api/v1/persons/{grace}/record").json()["relationship"] == "caseload_grace"
    deny = ("GET api 403", "deny", "relationship:no_relationship")
    denied = audit_rules(server, expired).count(deny)
    assert social.get(f"/api/v1/persons/{expired}/record").status_code == 403
    assert audit_rules(server, expired).count(deny) == denied + 1


def test_a_direct_objection_shows_only_the_viewers_organisations_rows(server, area):
    assert area["objector"], "the generated area has a DIRECT objector with hospital rows"
    social = as_role(server, "social_worker")
    backdate_caseload(server, area["objector"], "SC-ADULTS", 1)
    record = social.get(f"/api/v1/persons/{area['objector']}/record").json()
    assert record["objected"] and "objected" in record["notice"]
    assert record["rows"]["acute_apc"] == []  # the hospital's rows, not the council's
    assert {f for f, rows in record["rows"].items() if rows} <= {"social_care_events", "deaths",
                                                                   "eol_register"}  # fmt: skip


def test_care_plan_coverage_of_the_top_five_percent_through_the_tier_a_gate(server, area):
    from joinedup.governance.disclosure import parts, round_count
    from joinedup.groupings import EMERGENCY_ADMISSION
    from joinedup.service.care_outcomes import TOP_SQL, before_after, coverage

    con = duckdb.connect(str(server.warehouse), read_only=True)  # as the service reads it
    top = con.execute(TOP_SQL).fetchall()
    planned = {p for p, _, _ in top[:20]}
    found = coverage(con, planned)
    assert found["area"] == {"with_plan": 20, "top_5_percent": round_count(len(top)),
                             "coverage": round(20 / round_count(len(top)), 3)}  # fmt: skip
    assert all(
        v["with_plan"] is None or v["with_plan"] % 5 == 0 for v in found["practice"].values()
    )
    for name, column in (("practice", 1), ("locality", 2)):  # parts of the area's total
        raw: dict = {}
        for row in top:
            raw[row[column] or "unknown"] = raw.get(row[column] or "unknown", 0) + 1
        assert {g: v["top_5_percent"] for g, v in found[name].items()} == parts(raw)
        hidden = [g for g, v in found[name].items() if v["top_5_percent"] is None]
        assert len(hidden) != 1, "one hidden part could be worked out from the total"
    con = duckdb.connect(str(server.warehouse), read_only=True)
    people, review = [p for p, _, _ in top[:40]], dt.date(2015, 10, 1)
    figures = before_after(con, [(p, review.isoformat()) for p in people])
    con.close()
    con = pseudonymous(server.warehouse)
    spells = con.execute(
        f"SELECT admission_date, admission_method FROM acute_apc WHERE pseudo_id IN"
        f" ({','.join('?' * len(people))})",
        people,
    ).fetchall()
    con.close()
    start, end = review - dt.timedelta(182), review + dt.timedelta(182)
    emergency = [d for d, m in spells if m in EMERGENCY_ADMISSION]
    assert figures["people"] == 40
    assert figures["before"]["emergency_admissions"] == round_count(
        sum(start <= d < review for d in emergency)
    )
    assert figures["after"]["emergency_admissions"] == round_count(
        sum(review <= d < end for d in emergency)
    )
    answer = as_role(server, "board").get("/api/v1/board/care-plans").json()
    assert answer["coverage"]["area"]["top_5_percent"] == round_count(len(top))


def test_a_viewer_sharing_a_family_name_or_postcode_is_alerted_without_the_identity(
    server, area, tmp_path
):
    from dataclasses import replace
    from types import SimpleNamespace

    from joinedup.service.care import shared_identity_alerts
    from joinedup.service.care_store import CareStore
    from joinedup.service.store import ServiceStore

    gp = as_role(server, "gp")

    def postcode(p: str) -> str:
        return gp.get(f"/api/v1/persons/{p}/record").json()["identity"]["postcode"]

    person = area["registered"][5]
    family, home = true_identity(server, person)["family_name"], postcode(person)
    other = next(  # not of the person's household: neither family name nor postcode shared
        p for p in area["registered"][6:]
        if true_identity(server, p)["family_name"] != family and postcode(p) != home
    )
    start = len(server.audit.read_text().splitlines())  # only this test's views count below
    truth, theirs = ({"family_name": true_identity(server, p)["family_name"],
                      "postcode": gp.get(f"/api/v1/persons/{p}/record").json()["identity"]["postcode"]}
                     for p in (person, other))  # fmt: skip
    assert truth["family_name"] != theirs["family_name"] and truth["postcode"] != theirs["postcode"]
    records = [json.loads(line) for line in server.audit.read_text().splitlines()[start:]]
    register = load_register(server.register)
    found = {}
    for field in ("family_name", "postcode"):
        user = replace(register.users[ROLE_USERS["gp"]], **{field: truth[field]})
        service = SimpleNamespace(
            register=replace(register, users={**register.users, user.id: user}),
            care=CareStore(ServiceStore(tmp_path / f"{field}.sqlite"), server.root / "vault.duckdb"),
        )
        found[field] = shared_identity_alerts(service, records)
    for alerts in found.values():
        assert alerts and {a["user"] for a in alerts} == {ROLE_USERS["gp"]}
        assert all(person[:12] in a["detail"] and other[:12] not in a["detail"] for a in alerts)
        text = json.dumps(alerts)
        assert truth["family_name"] not in text and truth["postcode"] not in text
    assert shared_identity_alerts(SimpleNamespace(register=register, care=service.care), records) == []
