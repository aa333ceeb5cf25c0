"""The public notice and the IG lead's data-flow register, over real HTTP."""

import csv
import io
import re

import httpx
from web_helpers import as_role

from joinedup.governance.register import load_register, person_level_feeds


def test_the_notice_is_public_and_shows_every_feed_and_purpose(server):
    page = httpx.get(server.url + "/notice", timeout=60)
    assert page.status_code == 200
    register = load_register(server.register)
    assert set(re.findall(r'data-feed="([a-z_]+)"', page.text)) == set(person_level_feeds())
    purposes = {p for a in register.agreements for p in a.purposes}
    assert set(re.findall(r'data-purpose="([a-z_]+)"', page.text)) == purposes
    assert f"Version {register.sha256[:12]}" in page.text
    api = httpx.get(server.url + "/api/v1/notice", timeout=60).json()
    assert api["register_sha256"] == register.sha256


def test_the_ig_lead_sees_the_data_flow_register_and_its_csv(server):
    client = as_role(server, "ig_lead")
    page = client.get("/register/flows")
    assert page.status_code == 200
    assert set(re.findall(r'data-feed="([a-z_]+)"', page.text)) == set(person_level_feeds())
    rows = list(csv.DictReader(io.StringIO(client.get("/register/flows.csv").text)))
    assert [r["feed"] for r in rows] == list(person_level_feeds())
    assert client.get("/api/v1/register/flows").json()["flows"][0]["feed"] == rows[0]["feed"]
