"""The IG lead's incidents page and the overdue incidents on their start page, over real HTTP."""

import datetime as dt

from web_helpers import as_role

from joinedup.governance.incidents import IncidentLog


def test_an_overdue_incident_shows_on_the_ig_leads_start_page(server):
    log = IncidentLog(server.service.with_name(server.service.name + ".incidents.jsonl"))
    late = log.record("report sent to the wrong team", dt.date.today() - dt.timedelta(days=30), 4)
    log.record("lost printout", dt.date.today(), 1)
    client = as_role(server, "ig_lead")
    home = client.get("/")
    assert 'id="overdue-incidents"' in home.text and f"Incident {late.id}," in home.text
    listed = client.get("/api/v1/incidents").json()
    assert listed["overdue"] == 1 and len(listed["incidents"]) == 2
    assert f'data-incident="{late.id}"' in client.get("/incidents").text
    assert "overdue-incidents" not in as_role(server, "analyst").get("/").text
    assert client.get("/register/changes").status_code == 200
