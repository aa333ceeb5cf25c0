"""Tier P's person page shows the risk score's top reasons from `risk_scores`, with an age in a
reason as the person's 5-year band."""

import html
import re

from web_helpers import as_role, pseudonymous


def test_a_persons_top_risk_reasons_are_shown_without_an_exact_age(server):
    con = pseudonymous(server.warehouse)
    rows = con.execute(
        "SELECT pseudo_id, reasons FROM risk_scores WHERE reasons <> ''"
        " ORDER BY emergency_admission DESC LIMIT 40"
    ).fetchall()
    con.close()
    client = as_role(server, "analyst")
    shown = []
    for pseudo_id, stored in rows:
        answer = client.get(f"/api/v1/people/{pseudo_id}")
        if answer.status_code == 404:  # opted out or not resident: not in tier P
            continue
        person = answer.json()
        band = person["years"][-1]["age_band"]
        expected = [re.sub(r"\bage \(\d+\)", f"age {band}", r.strip()) for r in stored.split(";")]
        assert person["risk_reasons"] == expected
        assert not any(re.search(r"\bage \(\d+\)", r) for r in person["risk_reasons"])
        shown.append((pseudo_id, expected))
    assert len(shown) >= 20
    pseudo_id, expected = shown[0]
    page = client.get(f"/people/{pseudo_id}").text
    assert 'id="risk-reasons"' in page and html.escape(expected[0], quote=False) in page
