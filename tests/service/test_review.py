"""Identity review (GOVERNANCE.md): off by default, on only for the feeds whose agreement
switches it on, and then only the linkage officer sees their held pairs and decides them (CSRF,
audited without identities); and the purpose check of every tier against the feeds' agreements.

A second service runs over a copy of the shared area (a decision changes the vault and the
warehouse) with a register that switches review on for some feeds and leaves `jsna` and
`direct_care` out of one feed's agreement."""

import json
import shutil

import duckdb
import pytest
import yaml
from web_helpers import (
    PASSWORD,
    ROLE_USERS,
    Server,
    as_role,
    csrf,
    sign_in,
    start_server,
    stop_server,
)

from joinedup.service.store import ServiceStore

NARROW_FEED = "community_contacts"  # its agreement leaves out jsna and direct_care


def held(vault) -> list[tuple]:
    con = duckdb.connect(str(vault), read_only=True)
    try:
        return con.execute(
            """SELECT q.review_id, r.feed, q.status FROM review_queue q
            JOIN identifier_records r ON r.record_id = q.record_id ORDER BY 1"""
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def reviewed(server, tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    for name in ("warehouse.duckdb", "vault.duckdb", "vault.duckdb.key", "vault.duckdb.rowkey"):
        shutil.copy2(server.root / name, root / name)
    pairs = [(i, feed) for i, feed, status in held(root / "vault.duckdb") if status == "held"]
    feeds = sorted({feed for _, feed in pairs})
    assert len(pairs) >= 3 and len(feeds) >= 2, "the area holds too few pairs for this test"
    on = set(feeds[:-1])  # the last feed with held pairs stays off
    register = yaml.safe_load(server.register.read_text())
    for agreement in register["agreements"]:
        if agreement["feed"] in on:
            agreement["identity_review"] = True
        if agreement["feed"] == NARROW_FEED:
            agreement["purposes"] = [
                p for p in agreement["purposes"] if p not in ("jsna", "direct_care")
            ]
    (root / "register.yaml").write_text(yaml.safe_dump(register, sort_keys=False))
    store = ServiceStore(root / "service.sqlite")
    for user in ROLE_USERS.values():
        store.set_password(user, PASSWORD)
    store.close()
    process, url = start_server(root / "warehouse.duckdb", root / "vault.duckdb", root / "register.yaml",
                                root / "service.sqlite", root / "audit.jsonl", root / "serve.log")  # fmt: skip
    yield Server(url, root, server.area, root / "warehouse.duckdb", root / "service.sqlite",
                 root / "audit.jsonl", root / "register.yaml", root / "serve.log", process), pairs, on  # fmt: skip
    stop_server(process)


def test_review_is_off_by_default_and_no_pair_can_be_decided(server):
    before = held(server.root / "vault.duckdb")
    assert any(status == "held" for _, _, status in before)
    officer = as_role(server, "linkage_officer")
    page = officer.get("/api/v1/review").json()
    assert page["review"] == "off" and page["pairs"] == []
    assert "Identity review is off" in officer.get("/review").text
    review_id = next(i for i, _, status in before if status == "held")
    token = csrf(officer)
    answer = officer.post(f"/api/v1/review/{review_id}/accept", data={"csrf_token": token})
    assert answer.status_code == 404
    assert held(server.root / "vault.duckdb") == before


def test_the_officer_sees_only_the_pairs_of_feeds_under_review(reviewed):
    service, pairs, on = reviewed
    page = as_role(service, "linkage_officer").get("/api/v1/review").json()
    assert page["review"] == "on" and set(page["feeds"]) == on
    shown = {p["review_id"] for p in page["pairs"]}
    assert shown == {i for i, feed in pairs if feed in on}
    for pair in page["pairs"]:  # identities side by side, never event data
        assert set(pair) == {
            "review_id",
            "match_weight",
            "match_probability",
            "record",
            "candidate",
        }
        assert set(pair["record"]) == {"feed", "nhs_number", "given_name", "family_name",
                                       "date_of_birth", "sex", "postcode"}  # fmt: skip


def test_a_decision_needs_csrf_changes_the_vault_and_is_audited_without_identities(reviewed):
    service, pairs, on = reviewed
    officer = as_role(service, "linkage_officer")
    chosen = [i for i, feed in pairs if feed in on][:2]
    off = next(i for i, feed in pairs if feed not in on)
    assert officer.post(f"/review/{chosen[0]}/accept", data={}).status_code == 403
    token = csrf(officer)
    assert (
        officer.post(f"/api/v1/review/{off}/accept", data={"csrf_token": token}).status_code == 404
    )
    accepted = officer.post(f"/api/v1/review/{chosen[0]}/accept", data={"csrf_token": token})
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    rejected = officer.post(f"/review/{chosen[1]}/reject", data={"csrf_token": token})
    assert rejected.status_code == 303
    status = {i: s for i, _, s in held(service.root / "vault.duckdb")}
    assert (status[chosen[0]], status[chosen[1]], status[off]) == ("accepted", "rejected", "held")
    again = officer.post(f"/api/v1/review/{chosen[0]}/reject", data={"csrf_token": token})
    assert again.status_code == 404  # decided once
    records = [json.loads(line) for line in service.audit.read_text().splitlines()]
    decisions = [r for r in records if r["tier"] == "review" and r["action"].startswith("POST")]
    assert [r["resource"] for r in decisions if r["decision"] == "allow"] == [
        f"review {chosen[0]} accepted", f"review {chosen[1]} rejected"]  # fmt: skip
    shown = officer.get("/api/v1/review").json()["pairs"]
    audit_text = service.audit.read_text()
    for pair in shown:  # the identities the officer saw are not in the audit log
        for value in (pair["record"]["family_name"], pair["record"]["nhs_number"]):
            assert not value or value not in audit_text
    listing = json.loads(audit_text.splitlines()[-1])  # the audit record of that GET, read after it
    assert (listing["tier"], listing["action"], listing["count"]) == (
        "review", "GET api 200", len(shown))  # fmt: skip


@pytest.mark.parametrize(
    ("role", "purpose", "path", "status"),
    [
        ("board", "commissioning", "/api/v1/board", 200),
        ("board", "jsna", "/api/v1/board", 403),
        ("analyst", "jsna", "/api/v1/cohort", 403),
        ("analyst", "commissioning", "/api/v1/cohort", 200),
        ("gp", "direct_care", "/api/v1/worklist", 403),
        ("gp", "case_finding", "/api/v1/worklist", 200),
        ("ig_lead", "oversight", "/api/v1/board/quality", 200),  # running the system, no use
        ("admin", "administration", "/api/v1/board", 200),
    ],
)
def test_every_tier_needs_the_purpose_in_every_feed_agreement(
    reviewed, role, purpose, path, status
):
    service, _, _ = reviewed
    answer = sign_in(service, ROLE_USERS[role], purpose).get(path)
    assert answer.status_code == status, answer.text[:200]
    if status == 403:
        assert answer.json()["error"]["code"] == "no_agreement"
