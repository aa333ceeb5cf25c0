"""The authorisation matrix of tier I over real HTTP: every person-level tier I route × tier I
role × relationship kind (none, registered at the GP's practice, on the caseload of one of the
user's teams, a caseload entry expired past its grace, break glass) and a DIRECT objector on the
caseload. The expected relationship of each cell is written out here, apart from the code's
rules; each answer's audit record carries the rule that decided it."""

import datetime as dt
import json
import sqlite3

import pytest
from web_helpers import ROLE_USERS, as_role, csrf, pseudonymous

from joinedup.governance.register import load_register
from joinedup.identity.directory import Directory

ROLES = ("gp", "clinician", "social_worker")
KINDS = ("none", "registered", "caseload", "expired", "break_glass", "objection")
OWN_TEAM = {"gp": "PT-", "clinician": "CT-DN", "social_worker": "SC-ADULTS"}
# (role, kind) -> the relationship that lets the request through (None: refused)
EXPECTED = {
    ("gp", "none"): None, ("gp", "registered"): "registration", ("gp", "caseload"): "caseload",
    ("gp", "expired"): None, ("gp", "break_glass"): "break_glass", ("gp", "objection"): "caseload",
    ("clinician", "none"): None, ("clinician", "registered"): None,
    ("clinician", "caseload"): "caseload", ("clinician", "expired"): None,
    ("clinician", "break_glass"): "break_glass", ("clinician", "objection"): "caseload",
    ("social_worker", "none"): None, ("social_worker", "registered"): None,
    ("social_worker", "caseload"): "caseload", ("social_worker", "expired"): None,
    ("social_worker", "break_glass"): "break_glass", ("social_worker", "objection"): "caseload",
}  # fmt: skip
PLAN = {"goals": "matrix goals", "lead_professional": ROLE_USERS["gp"], "review_date": "2030-01-01"}


def _team(register, role: str) -> str:
    teams = register.users[ROLE_USERS[role]].teams
    return next(t for t in teams if t.startswith(OWN_TEAM[role]))


@pytest.fixture(scope="module")
def cells(server):
    """A fresh person per (role, kind), set up in the stores as the kind says."""
    register = load_register(server.register)
    practice = register.users[ROLE_USERS["gp"]].organisation
    con = pseudonymous(server.warehouse)
    # any episode, open or closed (a recently closed one still counts within its grace)
    related = ("SELECT pseudo_id FROM social_care_events UNION SELECT pseudo_id FROM acute_apc"
               " UNION SELECT pseudo_id FROM objections")  # fmt: skip
    registered = [p for (p,) in con.execute(
        "SELECT pseudo_id FROM gp_register WHERE practice_code = ? AND deregistration_date IS NULL"
        f" EXCEPT ({related}) ORDER BY 1 LIMIT 60 OFFSET 40", [practice]).fetchall()]  # fmt: skip
    others = [p for (p,) in con.execute(
        f"SELECT pseudo_id FROM person EXCEPT (SELECT pseudo_id FROM gp_register WHERE"
        f" practice_code = ? UNION {related}) ORDER BY 1 LIMIT 80 OFFSET 40", [practice]).fetchall()]  # fmt: skip
    objectors = [p for (p,) in con.execute(
        "SELECT pseudo_id FROM objections WHERE objection_type = 'DIRECT' AND withdrawn_date IS NULL"
        " EXCEPT (SELECT pseudo_id FROM gp_register WHERE practice_code = ?) ORDER BY 1 LIMIT 3",
        [practice]).fetchall()]  # fmt: skip
    con.close()
    assert len(objectors) == 3, "the generated area has DIRECT objectors"
    directory, today = Directory(server.root / "vault.duckdb"), dt.datetime.now(dt.UTC).date()
    with sqlite3.connect(server.service) as store:  # earlier tests' caseloads, referrals, glass
        touched = {k for t in ("caseload", "referrals", "break_glass")
                   for (k,) in store.execute(f"SELECT person_key FROM {t}")}  # fmt: skip
    registered, others = ([p for p in pool if directory.person_key(p) not in touched]
                          for pool in (registered, others))  # fmt: skip
    assert len(registered) >= 3 and len(others) >= 12, "enough untouched people"
    out = {}
    with sqlite3.connect(server.service) as store:
        for role in ROLES:
            user, team = ROLE_USERS[role], _team(register, role)
            for kind in KINDS:
                person = (registered if kind == "registered" else objectors if kind == "objection"
                          else others).pop()  # fmt: skip
                key = directory.person_key(person)
                if kind in ("caseload", "objection", "expired"):
                    day = today - dt.timedelta(125 if kind == "expired" else 0)
                    store.execute("INSERT INTO caseload (person_key, team, accepted, accepted_by,"
                                  " reason) VALUES (?, ?, ?, ?, 'matrix')",
                                  (key, team, day.isoformat(), user))  # fmt: skip
                if kind == "break_glass":
                    store.execute("INSERT INTO break_glass (person_key, user_id, day, at, reason)"
                                  " VALUES (?, ?, ?, ?, 'matrix emergency')",
                                  (key, user, today.isoformat(), f"{today}T12:00:00"))  # fmt: skip
                out[(role, kind)] = {"person": person, "team": team}
    return out


def _post(client, path: str, **form):
    return client.post(path, data={**form, "csrf_token": csrf(client)})


def _rules(server, person: str) -> list[tuple[str, str, str]]:
    records = [json.loads(line) for line in server.audit.read_text().splitlines()]
    return [(r["resource"], r["decision"], r["rule"]) for r in records
            if r["people"] == [person] and r["tier"] == "I"]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_tier_i_route_answers_each_relationship_as_the_table_says(server, cells, role):
    client = as_role(server, role)
    for kind in KINDS:
        cell, allowed = cells[(role, kind)], EXPECTED[(role, kind)]
        person, where = cells[(role, kind)]["person"], f"{role} × {kind}"
        reads = {"record": client.get(f"/api/v1/persons/{person}/record"),
                 "page": client.get(f"/persons/{person}/record"),
                 "plan": client.get(f"/api/v1/persons/{person}/care-plan")}  # fmt: skip
        writes = allowed not in (None, "break_glass")  # break glass opens to read only
        answers = {
            **{name: r.status_code for name, r in reads.items()},
            "save_plan": _post(client, f"/api/v1/persons/{person}/care-plan", **PLAN).status_code,
            "refer": _post(client, "/api/v1/mdt/referrals", pseudonym=person,
                           team=cell["team"], reason="matrix").status_code,
            "caseload": _post(client, "/api/v1/caseload", pseudonym=person, team=cell["team"],
                              reason="matrix").status_code,
        }  # fmt: skip
        read, write = (200 if allowed else 403), (200 if writes else 403)
        assert answers == {"record": read, "page": read, "plan": read, "save_plan": write,
                           "refer": write, "caseload": write}, where  # fmt: skip
        body = reads["record"].json()
        if allowed:
            assert body["relationship"] == allowed and body["break_glass"] == (
                kind == "break_glass"
            )
            assert body["identity"] and body["identity"]["nhs_number"], where
            assert body["objected"] == (kind == "objection"), where
        else:
            assert "identity" not in body and body["error"]["code"] == "no_relationship", where
        decided = _rules(server, person)
        rule = f"relationship:{allowed or 'no_relationship'}"
        assert (f"/api/v1/persons/{person}/record", "allow" if allowed else "deny", rule) in decided
