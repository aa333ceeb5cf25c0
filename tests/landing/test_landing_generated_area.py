"""End to end on a generated area: landing rejects exactly the rows the generator broke."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from landing_area import query, text_values

from joinedup.cli import main
from joinedup.landing import load_paths, quality_report
from joinedup.warehouse import store

# The generator's default window is 36 months from 2013-04; its as-of day is the first day of
# the month after the window's last, and it breaks future dates relative to that day.
GENERATED_AS_OF = dt.date(2016, 5, 1)
HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DIGIT_RUN = re.compile(r"[0-9]{10,}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    area = root / "area"
    assert main(["synth", "--out", str(area), "--people", "3000", "--seed", "1", "--quiet"]) == 0
    warehouse, vault = root / "w.duckdb", root / "v.duckdb"
    summary = load_paths(area, warehouse, vault, GENERATED_AS_OF, progress=False)
    return area, warehouse, summary


def _csv_rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _implausible(area) -> dict[tuple, set]:
    """Rows of the area that break a plausibility rule, found here without landing's SQL: the
    generator does not set out to break them (a flawed date of birth after an event may)."""
    found: dict[tuple, set] = {}
    for path in sorted(area.glob("*.csv")):
        for line, r in enumerate(_csv_rows(path), start=2):
            reasons = set()
            born = _date(r.get("date_of_birth") or "")
            others = [_date(v) for k, v in r.items() if k.endswith(("_date", "_datetime")) and v]
            if born and born < dt.date(1880, 1, 1):
                reasons.add(("date_of_birth", "born_before_1880"))
            if born and any(o and born > o for o in others):
                reasons.add(("date_of_birth", "born_after_event"))
            for k, v in r.items():
                if (k.endswith("_cost") or k == "cost_gbp") and re.fullmatch(r"-?[0-9.]+", v or ""):
                    if float(v) < 0:
                        reasons.add((k, "negative_cost"))
                    if float(v) > 10_000_000:
                        reasons.add((k, "implausible_cost"))
            if reasons:
                found[(path.stem, line)] = reasons
    return found


@pytest.mark.slow
def test_landing_rejects_exactly_the_rows_the_generator_broke(generated):
    area, warehouse, summary = generated
    broken: dict[tuple, set] = _implausible(area)
    for r in _csv_rows(area / "truth" / "broken_rows.csv"):
        broken.setdefault((r["feed"], int(r["line"])), set()).add((r["column"], r["rule"]))
    rejected: dict[tuple, set] = {}
    for feed, line, column, rule in query(
        warehouse, "SELECT feed, line, column_name, rule FROM rejections"
    ):
        rejected.setdefault((feed, line), set()).add((column, rule))
    assert broken and set(rejected) == set(broken)
    # Every reason the generator recorded is found; a break may cause another (a future
    # admission is also after its discharge), and landing names every reason.
    assert all(broken[at] <= rejected[at] for at in broken)
    assert summary.rows_rejected == len(broken)


@pytest.mark.slow
def test_the_quality_report_accounts_for_every_row(generated):
    area, warehouse, _ = generated
    with store.reading(warehouse) as con:
        report = quality_report(con)
    for name, feed in report.feeds.items():
        with (area / f"{name}.csv").open(encoding="utf-8") as handle:
            data_lines = sum(1 for _ in handle) - 1
        assert feed["rows_read"] == data_lines == feed["rows_accepted"] + feed["rows_rejected"]
        assert sum(r["rows"] for r in feed["rejections"]) >= feed["rows_rejected"]
    linked = sum(sum(feed["linkage"].values()) for feed in report.feeds.values())
    assert linked == sum(
        f["rows_accepted"]
        for n, f in report.feeds.items()
        if n
        not in ("postcode_lookup", "population", "unit_costs", "practices", "experience_survey")
    )


@pytest.mark.slow
def test_no_identifier_of_a_generated_person_reaches_the_warehouse(generated):
    area, warehouse, _ = generated
    people = _csv_rows(area / "truth" / "people.csv")
    # A family name may also be a place ('West'): values of the public reference files are not
    # identifiers wherever they appear.
    public = {
        v
        for name in ("postcode_lookup", "practices")
        for r in _csv_rows(area / f"{name}.csv")
        for v in r.values()
    }
    names = {p[c] for p in people for c in ("given_name", "family_name")} - public
    numbers_and_dates = {p[c] for p in people for c in ("nhs_number", "date_of_birth")}
    texts = set(text_values(warehouse))
    assert len(texts) > 1000 and len(names) > 100
    assert names.isdisjoint(texts)
    readable = [t for t in texts if not HEX_DIGEST.match(t)]  # pseudo_ids and row keys aside
    assert numbers_and_dates.isdisjoint(_embedded_numbers_and_dates(readable))


def _embedded_numbers_and_dates(texts):
    """Every 10-digit window of every run of digits, and every ISO date, inside the texts."""
    found = set()
    for text in texts:
        found.update(ISO_DATE.findall(text))
        for run in DIGIT_RUN.findall(text):
            found.update(run[i : i + 10] for i in range(len(run) - 9))
    return found
