"""The direct-care loop in headless Debian Chromium (Playwright) against the real server: a GP
signs in, opens the worklist and refers a person to the practice's MDT; a community matron of
the MDT creates the meeting, records the outcome, the lead professional and an action, and
writes the joint care plan; a social worker of the MDT sees the plan and the social care and
hospital rows but no GP detail; a social worker without a relationship is refused, breaks the
glass, and the IG lead sees the alert and closes it. Every page passes axe-core (no serious or
critical violation)."""

import pytest
from playwright.sync_api import sync_playwright
from test_browser import AXE, CHROMIUM_ARGS
from web_helpers import PASSWORD, PURPOSE, ROLE_USERS, pseudonymous

from joinedup.governance.register import load_register

pytestmark = [pytest.mark.slow, pytest.mark.browser]
GP_DETAIL = ("gp_conditions", "gp_medications", "gp_appointments")


@pytest.fixture(scope="module")
def people(server):
    """A person of the demo practice with hospital and social care rows (to refer), and one
    nobody of the demo users has a relationship with (to refuse)."""
    register = load_register(server.register)
    practice = register.users[ROLE_USERS["gp"]].organisation
    con = pseudonymous(server.warehouse)
    both = {p for (p,) in con.execute(
        "SELECT g.pseudo_id FROM gp_register g WHERE g.practice_code = ?"
        " AND g.deregistration_date IS NULL"
        " AND g.pseudo_id IN (SELECT pseudo_id FROM acute_apc)"
        " AND g.pseudo_id IN (SELECT pseudo_id FROM social_care_events)", [practice]).fetchall()}  # fmt: skip
    unrelated = [p for (p,) in con.execute(
        "SELECT pseudo_id FROM person EXCEPT (SELECT pseudo_id FROM gp_register WHERE"
        " practice_code = ? UNION SELECT pseudo_id FROM social_care_events WHERE event_type ="
        " 'SERVICE' AND event_end_date IS NULL UNION SELECT pseudo_id FROM acute_apc WHERE"
        " discharge_date IS NULL) ORDER BY 1 DESC", [practice]).fetchall()]  # fmt: skip
    con.close()
    return {"both": both, "unrelated": unrelated, "mdt": f"MDT-{practice}"}


def _sign_in(browser, server, role: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#username", ROLE_USERS[role])
    page.fill("#password", PASSWORD)
    page.select_option("#purpose", PURPOSE[role])
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page


def _axe(page, axe: str, seen: dict, name: str) -> None:
    page.evaluate(axe)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                          ".violations.map(v => ({id: v.id, impact: v.impact}))")  # fmt: skip
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    if bad:
        seen["violations"][name] = bad


@pytest.fixture(scope="module")
def loop(server, people):
    axe = AXE.read_text(encoding="utf-8")
    seen: dict = {"violations": {}, "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        # the GP: worklist, refer
        context, page = _sign_in(browser, server, "gp")
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.click("a[href='/worklist']")
        _axe(page, axe, seen, "worklist")
        rows = page.locator("#worklist tbody tr")
        listed = [rows.nth(i).get_attribute("data-pseudonym") for i in range(rows.count())]
        person = next(p for p in listed if p in people["both"])
        row = page.locator(f"tr[data-pseudonym='{person}']")
        seen["worklist_name"] = row.locator(".ju-name").inner_text()
        assert row.locator("select[name=team]").input_value() == people["mdt"]
        row.locator("button.ju-refer").click()
        page.wait_for_url(server.url + "/worklist")
        context.close()
        # the community matron of the MDT: meeting, outcome, lead, action, care plan
        context, page = _sign_in(browser, server, "clinician")
        page.click("a[href='/mdt']")
        _axe(page, axe, seen, "mdt")
        page.select_option("#team", people["mdt"])
        page.fill("#day", "2026-12-01")
        page.click("#create-meeting")
        page.wait_for_url(f"{server.url}/mdt/meetings/*")
        _axe(page, axe, seen, "meeting")
        item = page.locator(f".ju-agenda[data-pseudonym='{person}']")
        seen["agenda_name"] = item.locator("h3").inner_text()
        item.locator("input[name=outcome]").fill("joint care plan agreed; falls risk")
        item.locator("select[name=lead]").select_option(ROLE_USERS["clinician"])
        item.locator("input[name=action]").fill("falls assessment at home")
        item.locator("select[name=owner]").select_option(ROLE_USERS["clinician"])
        item.locator("input[name=due]").fill("2026-12-15")
        item.locator("button[type=submit]").click()
        page.wait_for_url(f"{server.url}/mdt/meetings/*")
        seen["outcomes"] = page.locator("#outcomes").inner_text()
        page.goto(f"{server.url}/persons/{person}/record")  # the outcome accepted them
        seen["matron_name"] = page.locator("#identity .ju-name").inner_text()
        page.click("#care-plan-form summary")
        for field, value in {"goals": "stay well at home", "interventions": "falls clinic",
                             "anticipatory_plan": "call the matron first", "crisis_plan":
                             "rapid response team", "preferred_place_of_care": "home",
                             "preferred_place_of_death": "home", "lead_professional":
                             ROLE_USERS["clinician"], "review_date": "2027-06-01"}.items():  # fmt: skip
            page.fill(f"#{field}", value)
        page.click("#save-plan")
        page.wait_for_url(f"{server.url}/persons/{person}/record")
        context.close()
        # the social worker of the MDT: the plan, social care and hospital rows, no GP detail
        context, page = _sign_in(browser, server, "social_worker")
        page.goto(f"{server.url}/persons/{person}/record")
        _axe(page, axe, seen, "record")
        seen["social"] = {
            "relationship": page.locator("#relationship").inner_text(),
            "lead": page.locator("#plan-lead_professional").inner_text(),
            "goals": page.locator("#plan-goals").inner_text(),
            "feeds": [t.get_attribute("id") for t in page.locator("table[id^=feed-]").all()],
            "headers": page.locator("table[id^=feed-] th").all_inner_texts(),
            "name": page.locator("#identity .ju-name").inner_text(),
        }
        # refused without a relationship, then break glass
        stranger = people["unrelated"][len(people["unrelated"]) // 2]
        response = page.goto(f"{server.url}/persons/{stranger}/record")
        seen["refused"] = (response.status, page.locator("h1").inner_text())
        seen["refused_identity"] = page.locator("#identity").count()
        page.goto(f"{server.url}/persons/{stranger}/break-glass")
        page.fill("#reason", "found collapsed at a day centre")
        page.click("form[action$='/break-glass'] button")
        page.wait_for_url(f"{server.url}/persons/{stranger}/record")
        seen["glass"] = page.locator("#break-glass").count()
        context.close()
        # the IG lead: the alert, then closing it
        context, page = _sign_in(browser, server, "ig_lead")
        page.click("a[href='/audit/alerts']")
        _axe(page, axe, seen, "alerts")
        alert = page.locator("tr", has_text=f"record {stranger[:12]}")
        seen["alert_before"] = alert.count()
        alert.locator("button.ju-review").click()
        page.wait_for_url(server.url + "/audit/alerts")
        seen["alert_after"] = page.locator("tr", has_text=f"record {stranger[:12]}").count()
        context.close()
        browser.close()
    seen["person"], seen["stranger"] = person, stranger
    return seen


def test_the_gp_refers_a_named_person_the_mdt_sees_named_once_it_has_accepted_them(loop):
    """GOVERNANCE.md: a referral is a way onto the caseload, not a relationship: the agenda
    shows the referred person by pseudonym until the MDT's outcome puts them on its caseload."""
    assert loop["worklist_name"].strip() and loop["worklist_name"] not in loop["agenda_name"]
    assert loop["agenda_name"].strip() == loop["person"][:12]
    assert loop["matron_name"] == loop["worklist_name"]


def test_the_mdt_records_outcome_lead_action_and_plan_the_social_worker_sees(loop):
    assert "joint care plan agreed" in loop["outcomes"]
    assert f"lead professional {ROLE_USERS['clinician']}" in loop["outcomes"]
    assert "falls assessment at home" in loop["outcomes"] and "2026-12-15" in loop["outcomes"]
    social = loop["social"]
    assert social["relationship"] == "caseload"  # the MDT took the person onto its caseload
    assert social["lead"] == ROLE_USERS["clinician"] and social["goals"] == "stay well at home"
    assert social["name"] == loop["worklist_name"]
    assert {"feed-acute_apc", "feed-social_care_events"} <= set(social["feeds"])
    assert not any(f.removeprefix("feed-") in GP_DETAIL for f in social["feeds"])
    assert not {"primary diagnosis", "secondary diagnoses", "condition", "bnf code"} & {
        h.strip().lower() for h in social["headers"]
    }


def test_without_a_relationship_refused_then_break_glass_alerts_and_is_closed(loop):
    assert loop["refused"] == (403, "Not allowed") and loop["refused_identity"] == 0
    assert loop["glass"] == 1
    assert loop["alert_before"] == 1 and loop["alert_after"] == 0


def test_the_loop_pages_pass_axe_and_raise_no_script_error(loop):
    assert loop["violations"] == {} and loop["errors"] == []
