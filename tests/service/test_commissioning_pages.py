"""The board's commissioning pages (tier A, issue 12) over real HTTP: practices compared as funnel
plots from published figures only, Year of Care budgets through the tier A gate, the plan
register, and a scheme scenario from the page's own form; and the analysts' scheme evaluator on
a saved cohort (tier P, audited)."""

import json

import pytest
from web_helpers import as_role, csrf


@pytest.fixture(scope="module")
def board(server):
    return as_role(server, "board")


def test_the_practice_funnels_draw_only_published_figures(board):
    plots = board.get("/api/v1/board/practices").json()["plots"]
    assert plots, "a 2,500-person area has rate metrics with a complete period"
    for plot in plots:
        for point in plot["points"]:
            assert point["denominator"] % 5 == 0 and point["denominator"] >= 10
            assert point["practice"] not in ("unregistered", "unknown")
        assert set(plot["outliers"]) <= {p["practice"] for p in plot["points"]}
    page = board.get("/board/practices").text
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') >= len(plots)


def test_budgets_are_published_counts_and_rounded_money(board):
    result = board.get("/api/v1/board/budgets").json()
    assert "unavailable" not in result, result
    assert (result["base_year"], result["budget_year"]) == ("2014/15", "2015/16")
    for groups in result["by"].values():
        for figures in groups.values():
            assert figures["people"] is None or (
                figures["people"] % 5 == 0 and figures["people"] >= 10
            )
            for money in (figures["budget_gbp"], figures["actual_gbp"]):
                assert money is None or money % 1000 == 0
    assert "By practice" in board.get("/board/budgets").text


def test_the_register_lists_risks_by_score_with_their_owners(board):
    register = board.get("/api/v1/board/register").json()
    scores = [r["score"] for r in register["risks"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 12  # R1: 3 x 4
    hub = next(s for s in register["schemes"] if s["id"] == "004")
    assert hub["go_live"] == "2015-04-01" and hub["conditions"]["data_sharing"]["met"] == "yes"
    assert "Risk sharing of the performance fund: CCG 50%" in board.get("/board/register").text


def test_a_scenario_with_half_the_effect_avoids_half_the_admissions(board):
    planned = board.get("/api/v1/board/scenario").json()
    halved = board.get("/api/v1/board/scenario", params={"scheme": "004", "effect": "0.005"}).json()
    year = {row["year"]: row for row in halved["years"]}["2015/16"]
    assert year["scenario"]["admissions_avoided"] == pytest.approx(
        year["plan"]["admissions_avoided"] / 2, abs=0.1
    )
    assert planned["scheme"] == "004" and year["payment_for_performance"]["withheld_gbp"] > 0
    assert board.get("/api/v1/board/scenario", params={"effect": "lots"}).status_code == 400
    assert "Show the scenario" in board.get("/board/scenario", params={"start": "2015-10-01"}).text


@pytest.fixture(scope="module")
def saved_cohort(server):
    """A super-user's saved view of the people aged 75 to 79 in 2014/15."""
    client = as_role(server, "super_user")
    form = {"name": "aged 75-79", "year": "2014/15", "age_band": "75-79", "csrf_token": csrf(client)}
    response = client.post("/api/v1/views", data=form)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_the_evaluator_lists_saved_cohorts_and_suggests_a_start_a_year_before_the_end(
    server, saved_cohort
):
    found = as_role(server, "analyst").get("/api/v1/evaluate").json()
    assert {"id": saved_cohort, "name": "aged 75-79"} in [
        {k: v[k] for k in ("id", "name")} for v in found["views"]
    ]
    assert found["start"] == "2015-04-01" and found["evaluation"] is None


def test_the_evaluator_publishes_rounded_counts_and_is_audited_with_the_cohorts_size(
    server, saved_cohort
):
    analyst = as_role(server, "analyst")
    query = {"view": saved_cohort, "start": "2015-04-01"}
    found = analyst.get("/api/v1/evaluate", params=query).json()["evaluation"]
    assert found["cohort"]["treated"] % 5 == 0 and found["cohort"]["matched"] % 5 == 0
    assert found["risk_score"]["index_date"] is None  # the area's scores are of 2016-04-01
    for window in ("6 months", "12 months"):
        assert set(found["windows"][window]) == {
            "emergency_admissions", "ae_attendances", "bed_days", "cost"
        }  # fmt: skip
    record = audit_records(server)[-1]  # the evaluation's, written before its answer
    assert (record["tier"], record["role"], record["decision"]) == ("P", "analyst", "allow")
    assert record["resource"] == f"evaluation of view {saved_cohort} from 2015-04-01"
    assert record["count"] >= found["cohort"]["treated"] - 2 and record["people"] is None
    page = analyst.get("/evaluate", params=query).text
    assert "Scheme effect" in page and "Health and social care cost" in page
    assert analyst.get("/api/v1/evaluate", params={"view": "999999"}).status_code == 404
    assert analyst.get("/api/v1/evaluate", params={"start": "April"}).status_code == 400


def audit_records(server) -> list[dict]:
    return [json.loads(line) for line in server.audit.read_text().splitlines()]
