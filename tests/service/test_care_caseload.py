"""`joinedup caseload` (make demo's caseloads): a user accepts the first people of their worklist
with a relationship onto one of their teams' caseloads through the service's own routes, each
acceptance audited with its rule; the team's other members then have a caseload relationship."""

import json

from web_helpers import PASSWORD, ROLE_USERS

from joinedup.cli import main
from joinedup.governance.register import load_register
from joinedup.service.care_store import CareStore
from joinedup.service.store import ServiceStore


def test_a_gp_accepts_the_top_of_their_worklist_onto_their_mdts_caseload(web_area, tmp_path):
    root, _, warehouse, vault = web_area
    register = load_register(root / "register.yaml")
    gp = ROLE_USERS["gp"]
    team = next(t for t in register.users[gp].teams if t.startswith("MDT-"))
    service, audit = tmp_path / "service.sqlite", tmp_path / "audit.jsonl"
    store = ServiceStore(service)
    store.set_password(gp, PASSWORD)  # an active account, as on the page
    store.close()
    stores = ["--warehouse", str(warehouse), "--vault", str(vault), "--register",
              str(root / "register.yaml"), "--service", str(service), "--audit", str(audit)]  # fmt: skip
    assert main(["caseload", *stores, "--user", gp, "--top", "3"]) == 0  # the MDT by default
    care = CareStore(ServiceStore(service), vault)
    accepted = care.caseload_people((team,))
    assert len(accepted) == 3
    entries = [e for k in accepted for e in care.caseload_entries(k)]
    assert {(e.team, e.reason, e.closed) for e in entries} == {
        (team, "accepted from the worklist", None)
    }
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    posts = [r for r in records if r["action"] == "POST api 200"]
    assert [(r["user"], r["decision"], r["rule"]) for r in posts] == [
        (gp, "allow", "relationship:registration")
    ] * 3
    assert main(["caseload", *stores, "--user", gp, "--team", "CT-DN", "--top", "3"]) == 3
    # run again: the people already on the caseload are skipped, the next three accepted
    assert main(["caseload", *stores, "--user", gp, "--team", team, "--top", "3"]) == 0
    assert len(care.caseload_people((team,))) == 6
