"""What leaves the service: tier A responses hold only disclosure-controlled figures; tier P
responses hold no identifier or source record id of the generated area's truth and no person
with an active national data opt-out; person views and exports are audited."""

import csv
import io
import json
import re

import pyarrow.parquet as pq
import pytest
from web_helpers import as_role, csrf, pseudonymous

TIER_A_API = ("/api/v1/board", "/api/v1/metrics", "/api/v1/board/plan", "/api/v1/board/spend",
              "/api/v1/board/quality", "/api/v1/risk",
              *(f"/api/v1/board/metrics/{m}" for m in ("nel_admissions", "dtoc_days", "ae_attendances", "eol_admissions")))  # fmt: skip
# figures that are not counts: rates, shares, plan figures, chart points, ids and codes
NOT_COUNTS = {"value", "latest_value", "latest_target", "target", "actual", "mean", "lpl", "upl",
              "nhs_number_completeness_percent", "nhs_number_validity_percent", "id", "decimals"}  # fmt: skip


def figures(node, key=None):
    """(key, number) for every number in a JSON document (dict keys of breakdowns included)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from figures(v, k if not isinstance(v, dict | list) else k)
    elif isinstance(node, list):
        for item in node:
            yield from figures(item, key)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield key, node


@pytest.fixture(scope="module")
def board_json(server):
    client = as_role(server, "analyst")  # /api/v1/risk is tier P by rule, tier A in content
    return {path: client.get(path).json() for path in TIER_A_API}


def test_tier_a_holds_no_small_count_no_unrounded_count_and_money_to_1000(board_json):
    checked = {"counts": 0, "money": 0}
    for path, body in board_json.items():
        assert "error" not in body, path
        for key, number in figures({k: v for k, v in body.items() if k != "context"}):
            if key in NOT_COUNTS or (key or "").endswith("_percent"):
                continue
            if (key or "").endswith("_gbp"):
                assert number % 1000 == 0, (path, key, number)
                checked["money"] += 1
            else:
                assert number == int(number) and not 1 <= number <= 7 and number % 5 == 0, (
                    path,
                    key,
                    number,
                )
                checked["counts"] += 1
    assert checked["counts"] > 200 and checked["money"] > 10


def test_the_metrics_api_is_the_metrics_md_shape_after_the_gate(board_json):
    body = board_json["/api/v1/metrics"]
    assert set(body) == {"area", "generated_at", "metrics", "context"}
    record = body["metrics"][0]
    assert {
        "id",
        "period",
        "grain",
        "numerator",
        "denominator",
        "value",
        "unit",
        "breakdown",
    } <= set(record)
    assert all(r["disclosure_control"] == "round5" for r in body["metrics"])
    assert any(r["suppressed"] for r in body["metrics"])


@pytest.fixture(scope="module")
def truth(server):
    area = server.area
    with (area / "truth" / "people.csv").open() as handle:
        people = list(csv.DictReader(handle))
    ids, postcodes = set(), set()
    for path in area.glob("*.csv"):
        with path.open() as handle:
            for row in csv.DictReader(handle):
                for column, value in row.items():
                    if value and (
                        column.endswith("_id")
                        and column != "question_id"
                        or column == "la_person_id"
                    ):
                        ids.add(value)
                    if column == "postcode" and value:
                        postcodes.add(value)
    return {
        "nhs": {p["nhs_number"] for p in people if p["nhs_number"]},
        "names": {f"{p['given_name']} {p['family_name']}" for p in people},
        "dob": {p["date_of_birth"] for p in people},
        "ids": ids | {p["la_person_id"] for p in people if p["la_person_id"]},
        "postcodes": postcodes,
    }


@pytest.fixture(scope="module")
def opted_out(server):
    con = pseudonymous(server.warehouse)
    found = {r[0] for r in con.execute(
        "SELECT pseudo_id FROM objections WHERE objection_type = 'NDOO' AND withdrawn_date IS NULL AND pseudo_id IS NOT NULL"
    ).fetchall()}  # fmt: skip
    con.close()
    assert found
    return found


@pytest.fixture(scope="module")
def tier_p_texts(server):
    """Every tier P response of a walk: all cohort pages, 40 person pages, an export of each format."""
    client = as_role(server, "super_user")
    texts, first = [], client.get("/api/v1/cohort").json()
    people = []
    for page in range(1, first["pages"] + 1):
        body = client.get("/api/v1/cohort", params={"page": page})
        texts.append(body.text)
        people += [p["pseudonym"] for p in body.json()["people"]]
    texts.append(client.get("/cohort", params={"age_band": "80-84", "risk_tier": "high"}).text)
    for pseudonym in people[:: max(1, len(people) // 40)][:40]:
        texts.append(client.get(f"/api/v1/people/{pseudonym}").text)
        texts.append(client.get(f"/people/{pseudonym}").text)
    token = csrf(client)
    export = client.post(
        "/cohort/export",
        data={"recipient": "Public health team", "format": "csv", "csrf_token": token},
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    parquet = client.post("/api/v1/cohort/export", data={"recipient": "Public health team", "format": "parquet",
                                                          "csrf_token": token})  # fmt: skip
    table = pq.read_table(io.BytesIO(parquet.content))
    texts += [export.text, json.dumps(table.to_pylist(), default=str)]
    return {
        "texts": texts,
        "people": people,
        "export": export.text,
        "parquet": table,
        "client": client,
    }


def test_tier_p_holds_no_identifier_or_source_record_id(tier_p_texts, truth):
    text = "\n".join(tier_p_texts["texts"])
    assert not set(re.findall(r"\b\d{10}\b", text)) & truth["nhs"]
    assert not set(re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z'-]+\b", text)) & truth["names"]
    assert not set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)) & truth["dob"]
    assert not set(re.findall(r"\b[A-Z]{1,4}\d{5,}\b", text)) & truth["ids"]
    assert not set(re.findall(r"\b[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}\b", text)) & truth["postcodes"]
    assert len(truth["ids"]) > 10_000 and len(tier_p_texts["people"]) > 1_000


def test_no_opted_out_person_is_in_tier_p(tier_p_texts, opted_out, server):
    text = "\n".join(tier_p_texts["texts"])
    assert not {p for p in opted_out if p in text}
    client = tier_p_texts["client"]
    for pseudonym in sorted(opted_out)[:5]:
        assert client.get(f"/api/v1/people/{pseudonym}").status_code == 404


def test_exports_carry_their_own_pseudonyms_per_recipient(tier_p_texts, server):
    client = tier_p_texts["client"]
    rows = list(csv.DictReader(io.StringIO(tier_p_texts["export"])))
    assert len(rows) == len(tier_p_texts["people"])
    assert not {r["pseudonym"] for r in rows} & set(tier_p_texts["people"])
    other = client.post(
        "/cohort/export",
        data={"recipient": "Another recipient", "format": "csv", "csrf_token": csrf(client)},
    )
    assert not {r["pseudonym"] for r in csv.DictReader(io.StringIO(other.text))} & {
        r["pseudonym"] for r in rows
    }
    assert set(tier_p_texts["parquet"].column_names) == set(rows[0])


def test_person_views_and_exports_are_audited_and_the_chain_holds(tier_p_texts, server):
    from joinedup.governance.audit import verify

    records = [json.loads(line) for line in server.audit.read_text().splitlines()]
    person_views = [
        r
        for r in records
        if r["resource"].startswith("/api/v1/people/") and r["decision"] == "allow"
    ]
    assert person_views and all(
        r["people"] == [r["resource"].rsplit("/", 1)[1]] for r in person_views
    )
    exports = [r for r in records if r["resource"].startswith("export ")]
    assert exports and all(
        r["count"] == len(tier_p_texts["people"]) and "columns pseudonym," in r["resource"]
        for r in exports
    )
    assert {r["register"] for r in records} == {
        __import__("hashlib").sha256(server.register.read_bytes()).hexdigest()
    }
    assert verify(server.audit).broken_at is None
