"""The service in headless Debian Chromium (Playwright): every demo role signs in and walks its
pages; nothing is requested from anywhere but 127.0.0.1; no CSP violation or script error; axe-core
(from node_modules) finds no serious or critical accessibility violation on any main page; a board
member cannot reach an analyst's page. Screenshots of the main pages go to the test folder."""

from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright
from web_helpers import PASSWORD, PURPOSE, ROLE_USERS, as_role, csrf

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
MAIN_PAGES = {"/login", "/", "/board", "/board/metrics/nel_admissions", "/board/spend", "/cohort", "/risk",
              "/views", "/audit", "/audit/alerts", "/register", "/admin/loads", "/admin/users", "/review",
              "/board/practices", "/board/budgets", "/board/register", "/board/scenario", "/evaluate"}  # fmt: skip
EVALUATED = "browser cohort"  # a saved view the analysts' evaluator is walked with


@pytest.fixture(scope="module")
def walk(server):
    """Per role: the pages visited (path, status), axe violations, requests, console errors."""
    axe = AXE.read_text(encoding="utf-8")
    seen = {"requests": [], "errors": [], "pages": {}, "violations": {}, "screenshots": []}
    super_user = as_role(server, "super_user")
    view = {"name": EVALUATED, "age_band": "75-79", "csrf_token": csrf(super_user)}
    assert super_user.post("/api/v1/views", data=view).status_code == 201
    shots = server.root / "screenshots"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for role, user in ROLE_USERS.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("request", lambda request: seen["requests"].append(request.url))
            page.on(
                "console",
                lambda m: (
                    seen["errors"].append(m.text)
                    if m.type == "error" and "401" not in m.text and "403" not in m.text
                    else None
                ),
            )
            page.on("pageerror", lambda error: seen["errors"].append(str(error)))
            page.goto(server.url + "/login")
            _check(page, axe, seen, "/login", shots, "login" if role == "board" else None)
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.select_option("#purpose", PURPOSE[role])
            page.click("button[type=submit]")
            page.wait_for_url(server.url + "/")
            assert page.locator(".ju-role").inner_text() == role
            assert page.locator(".ju-purpose").inner_text() == PURPOSE[role]
            links = [a.get_attribute("href") for a in page.locator("main ul a").all()]
            visited = [("/", 200)]
            _check(page, axe, seen, "/", shots, f"{role}-home")
            for href in links:
                response = page.goto(server.url + href)
                visited.append((href, response.status))
                assert page.locator(".ju-tier").count() == 1
                _check(page, axe, seen, href, shots, f"{role}{href.replace('/', '-')}")
                if href == "/board":
                    page.click("a[href='/board/metrics/nel_admissions']")
                    assert page.locator("svg.spc-chart").count() == 1
                    _check(
                        page, axe, seen, "/board/metrics/nel_admissions", shots, f"{role}-metric"
                    )
                if href == "/cohort":
                    page.select_option("#f-age_band", "80-84")
                    page.click("form.ju-filters button[type=submit]")
                    assert "80-84" in page.url
                    page.locator("table a[href^='/people/']").first.click()
                    assert page.locator("h1").inner_text() == "A person's timeline"
                    _check(page, axe, seen, "/people", shots, f"{role}-person")
                if href == "/evaluate":
                    page.select_option("#e-view", label=EVALUATED)
                    page.click("main form button[type=submit]")
                    assert page.locator("#evaluation-cohort").count() == 1
                    seen.setdefault("evaluated", []).append(role)
                    _check(page, axe, seen, "/evaluate", shots, f"{role}-evaluation")
            seen["pages"][role] = visited
            if role == "board":
                seen["board_on_cohort"] = page.goto(server.url + "/cohort").status
                seen["board_on_cohort_text"] = page.locator("h1").inner_text()
            context.close()
        browser.close()
    return seen


def _check(page, axe: str, seen: dict, path: str, shots: Path, name: str | None) -> None:
    if path in MAIN_PAGES or path == "/people":
        page.evaluate(axe)
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                               ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")  # fmt: skip
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            seen["violations"][path] = bad
    if name:
        target = shots / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        seen["screenshots"].append(target)


def test_every_role_walks_its_pages(walk):
    pages = walk["pages"]
    assert all(status == 200 for visited in pages.values() for _, status in visited), pages
    assert {p for p, _ in pages["board"]} >= {"/board"}
    assert {p for p, _ in pages["analyst"]} >= {"/board", "/cohort", "/risk", "/evaluate"}
    assert {p for p, _ in pages["board"]} >= {"/board/practices", "/board/scenario"}
    assert "/evaluate" not in {p for p, _ in pages["board"]}
    assert set(walk["evaluated"]) == {"analyst", "super_user"}
    assert {p for p, _ in pages["super_user"]} >= {"/views", "/cohort"}
    assert {p for p, _ in pages["ig_lead"]} >= {"/audit", "/audit/alerts", "/register"}
    assert {p for p, _ in pages["admin"]} >= {"/admin/loads", "/admin/users"}
    assert [p for p, _ in pages["linkage_officer"]] == ["/", "/review"]


def test_a_board_member_cannot_reach_an_analyst_page(walk):
    assert walk["board_on_cohort"] == 403 and walk["board_on_cohort_text"] == "Not allowed"


def test_no_request_leaves_127_0_0_1_and_no_script_error(walk):
    hosts = {urlparse(url).hostname for url in walk["requests"] if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}
    assert walk["errors"] == []


def test_axe_finds_no_serious_or_critical_violation(walk):
    assert walk["violations"] == {}
    assert len(walk["screenshots"]) > 20
