"""The IG lead's incidents page, its forms (CSRF, audited) and the overdue incidents on their start
page, over real HTTP. Other tests share the server and may record incidents: counts are relative."""

import datetime as dt
import json
import re

from web_helpers import as_role, csrf

from joinedup.governance.incidents import IncidentLog


def incident_log(server) -> IncidentLog:
    return IncidentLog(server.service.with_name(server.service.name + ".incidents.jsonl"))


def test_an_overdue_incident_shows_on_the_ig_leads_start_page(server):
    log = incident_log(server)
    before = len(log.incidents())
    late = log.record("report sent to the wrong team", dt.date.today() - dt.timedelta(days=30), 4)
    log.record("lost printout", dt.date.today(), 1)
    client = as_role(server, "ig_lead")
    home = client.get("/")
    assert 'id="overdue-incidents"' in home.text and f"Incident {late.id}," in home.text
    listed = client.get("/api/v1/incidents").json()
    assert len(listed["incidents"]) == before + 2
    assert late.id in {i["id"] for i in listed["incidents"] if i["overdue"]}
    assert f'data-incident="{late.id}"' in client.get("/incidents").text
    assert "overdue-incidents" not in as_role(server, "analyst").get("/").text
    assert client.get("/register/changes").status_code == 200


def audit_records(server) -> list[dict]:
    return [json.loads(line) for line in server.audit.read_text().splitlines()]


def test_the_ig_lead_records_and_closes_an_incident_from_the_page(server):
    client = as_role(server, "ig_lead")
    page = client.get("/incidents").text
    token = re.search(
        r'id="record-incident">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert token and token.group(1) == csrf(client)
    found = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    form = {"what": "letters posted to old addresses", "found": found, "people_affected": "12"}
    assert client.post("/incidents", data=form).status_code == 403  # no CSRF token
    assert all(i.what != form["what"] for i in incident_log(server).incidents())

    made = client.post("/incidents", data={**form, "csrf_token": token.group(1)})
    assert made.status_code == 303 and made.headers["location"].startswith("/incidents#incident-")
    incident = next(i for i in incident_log(server).incidents() if i.what == form["what"])
    assert incident.people_affected == 12 and incident.overdue(dt.date.today())
    assert f"Incident {incident.id}," in client.get("/").text  # overdue on the start page
    record = audit_records(server)[-1]
    assert record["user"] == "ig.demo" and record["decision"] == "allow"
    assert record["resource"] == f"/incidents incident {incident.id}"
    assert form["what"] not in server.audit.read_text()

    for event, text in (("action", "senders told"), ("reported", "ICO"), ("closed", "contained")):
        done = client.post(f"/api/v1/incidents/{incident.id}",
                           data={"event": event, "text": text, "csrf_token": csrf(client)})  # fmt: skip
        assert done.status_code == 200, done.text
    final = done.json()["incident"]
    assert final["reported"] == final["closed"] == dt.date.today().isoformat()
    assert not final["overdue"] and final["outcome"] == "contained"
    again = client.post(f"/incidents/{incident.id}",
                        data={"event": "action", "text": "late", "csrf_token": csrf(client)})  # fmt: skip
    assert again.status_code == 400 and "is closed" in again.text


def test_a_bad_incident_form_is_one_message_and_records_nothing(server):
    client = as_role(server, "ig_lead")
    before = len(incident_log(server).incidents())
    bad = client.post("/api/v1/incidents", data={"what": "x", "found": "yesterday",
                      "people_affected": "3", "csrf_token": csrf(client)})  # fmt: skip
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]
    none = client.post("/api/v1/incidents", data={"what": "x", "people_affected": "-1",
                       "csrf_token": csrf(client)})  # fmt: skip
    assert none.status_code == 400
    assert len(incident_log(server).incidents()) == before
    analyst = as_role(server, "analyst")
    refused = analyst.post("/api/v1/incidents", data={"what": "x", "people_affected": "1",
                           "csrf_token": csrf(analyst)})  # fmt: skip
    assert refused.status_code == 403
