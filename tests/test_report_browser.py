"""The board report end to end: a small generated area, landed, reported, and rendered in headless
Chromium (Debian's /usr/bin/chromium through Playwright): charts, icons and headline figures are
there, nothing leaves file://, and every figure on the page is disclosure-controlled tier A."""

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from playwright.sync_api import sync_playwright

from joinedup.cli import main
from joinedup.landing import load_paths
from joinedup.marts import build_marts
from joinedup.report.builder import build_report
from joinedup.report.headlines import HEADLINES
from joinedup.warehouse import store

pytestmark = pytest.mark.slow
GENERATED_AS_OF = dt.date(2016, 5, 1)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-area")
    feeds = root / "area"
    assert main(["synth", "--out", str(feeds), "--people", "3000", "--seed", "3", "--quiet"]) == 0
    warehouse = root / "warehouse.duckdb"
    load_paths(feeds, warehouse, root / "vault.duckdb", GENERATED_AS_OF, progress=False)
    with store.writing(warehouse) as con:
        build_marts(con)
    with store.reading(warehouse) as con:
        summary = build_report(con, root / "report.html")
    return root, warehouse, summary


@pytest.fixture(scope="module")
def rendered(area):
    """What Chromium saw: requests, console errors, counts and texts, and a screenshot."""
    root, _, summary = area
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(summary.path.resolve().as_uri(), wait_until="load")
        seen = {
            "requests": requests,
            "errors": errors,
            "charts": page.locator("svg.spc-chart").count(),
            "chart_icons": page.locator("svg.spc-chart g.icon.variation").count(),
            "glance_icons": page.locator("table.glance svg.icon-badge.variation").count(),
            "nel_latest": page.locator("#nel_admissions .latest strong"),
            "header_colour": page.evaluate(
                "getComputedStyle(document.querySelector('header')).backgroundColor"
            ),
        }
        seen["nel_visible"] = seen["nel_latest"].is_visible()
        seen["nel_latest"] = seen["nel_latest"].inner_text()
        seen["spend"] = page.locator("#spend p strong.headline-value").inner_text()
        seen["screenshot"] = root / "report.png"
        page.screenshot(path=str(seen["screenshot"]), full_page=True)
        browser.close()
    return seen


@pytest.mark.browser
def test_chromium_shows_a_chart_with_icons_for_every_charted_metric(area, rendered):
    _, _, summary = area
    assert summary.months == ("2013-04", "2016-03")
    assert summary.charts + len(summary.not_charted) == len(HEADLINES)
    assert summary.charts >= 6
    assert rendered["charts"] == summary.charts
    assert rendered["chart_icons"] == summary.charts
    assert rendered["glance_icons"] == summary.charts
    assert rendered["screenshot"].stat().st_size > 100_000


@pytest.mark.browser
def test_headline_figures_are_visible_and_controlled(rendered):
    assert rendered["nel_visible"]
    latest = int(rendered["nel_latest"].replace(",", ""))
    assert latest > 0 and latest % 5 == 0
    assert re.fullmatch(r"£\d{1,3}(,\d{3})*,000", rendered["spend"])


@pytest.mark.browser
def test_nothing_leaves_file_and_the_strict_policy_blocks_nothing_the_page_needs(rendered):
    assert rendered["requests"] and all(url.startswith("file://") for url in rendered["requests"])
    assert rendered["errors"] == []  # a CSP violation would be reported here
    assert rendered["header_colour"] == "rgb(0, 94, 184)"  # the stylesheet passed the CSP hash


class Cells(HTMLParser):
    """Text of every <td class="num"> cell, by the class of its enclosing table."""

    def __init__(self) -> None:
        super().__init__()
        self.table, self.in_cell, self.cells = None, False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table = attrs.get("class")
        self.in_cell = tag == "td" and attrs.get("class") == "num"
        if self.in_cell:
            self.cells.append([self.table, ""])

    def handle_endtag(self, tag):
        self.in_cell = self.in_cell and tag != "td"

    def handle_data(self, data):
        if self.in_cell:
            self.cells[-1][1] += data


def test_the_report_is_self_contained_tier_a_and_disclosure_controlled(area):
    text = area[2].path.read_text(encoding="utf-8")
    assert "pseudo_id" not in text and not re.search(r"\b[0-9a-f]{32,}\b", text)
    assert "<script" not in text and not re.search(r"(src|href)=\"(https?:)?//", text)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert unescape(policy[1]).startswith("default-src 'none'; style-src 'sha256-")
    parser = Cells()
    parser.feed(text)
    counts = [
        text.strip().replace(",", "")
        for table, text in parser.cells
        if table in ("quality", "linkage", "rejections") and text.strip() and "%" not in text
    ]
    assert counts and all(c == "*" or int(c) % 5 == 0 for c in counts)
    spend = [t.strip() for table, t in parser.cells if table == "spend"]
    people, money = spend[0::3], spend[1::3]  # columns: people, spend, per person
    assert people and all(p == "*" or int(p.replace(",", "")) % 5 == 0 for p in people)
    assert all(m in ("*", "£0") or re.fullmatch(r"£[\d,]*,000", m) for m in money)


def test_the_command_writes_the_report_and_a_missing_warehouse_is_a_store_error(area, tmp_path):
    root, warehouse, _ = area
    out = tmp_path / "board.html"
    assert main(["report", "--warehouse", str(warehouse), "--out", str(out), "--quiet",
                 "--title", "Board & partners"]) == 0  # fmt: skip
    assert "<title>Board &amp; partners</title>" in out.read_text(encoding="utf-8")
    missing = tmp_path / "none.duckdb"
    assert main(["report", "--warehouse", str(missing), "--out", str(tmp_path / "x.html")]) == 5
    assert not (tmp_path / "x.html").exists()


def test_a_bad_plan_or_an_unwritable_output_is_bad_input(area, tmp_path, capsys):
    _, warehouse, _ = area
    plan = tmp_path / "plan.yaml"
    plan.write_text("area: Testshire\n", encoding="utf-8")
    args = ["report", "--warehouse", str(warehouse), "--quiet"]
    assert main([*args, "--out", str(tmp_path / "x.html"), "--plan", str(plan)]) == 3
    assert "plan.yaml: baseline_year: required key is missing" in capsys.readouterr().err
    assert main([*args, "--out", str(plan / "x.html")]) == 3
    assert "x.html: cannot write the report" in capsys.readouterr().err


def test_targets_come_from_the_plan_file_given(area, tmp_path):
    _, warehouse, _ = area
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "area: Testshire\nbaseline_year: '2014/15'\npooled_budget: {'2015/16': 2000000}\n"
        "schemes:\n  - {id: A1, name: Falls service, investment: 123456, metrics: [falls_65]}\n"
        "trajectories:\n  nel_admissions:\n    targets: {'2016-03': 12345, '2015/16': 99999}\n",
        encoding="utf-8",
    )
    out = tmp_path / "board.html"
    with store.reading(warehouse) as con:
        build_report(con, out, plan_path=plan)
    text = out.read_text(encoding="utf-8")
    card = text[text.index('<article class="metric" id="nel_admissions">') :]
    card = card[: card.index("</article>")]
    assert "<title>Better Care Fund board report: Testshire</title>" in text
    assert "Plan: <strong>12,345</strong>" in card and "<td>2015/16</td>" in card
    assert "99,999" in card
    assert 'A1 Falls service</td><td class="num">£123,000</td>' in text
    readmissions = text[text.index('id="readmissions_30d"') :]
    assert "Plan:" not in readmissions[: readmissions.index("</article>")]
