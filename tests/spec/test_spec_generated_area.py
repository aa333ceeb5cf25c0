"""End to end: generate an area, land it, and check that the engine agrees with the reference
on every record of every metric."""

import datetime as dt

import pytest
from spec_area import assert_same_records

from joinedup.cli import main
from joinedup.landing import load_paths
from joinedup.metrics import engine, reference
from joinedup.warehouse import store

# The generator's default window: 36 months from 2013-04; landing judges "future" by this day.
GENERATED_AS_OF = dt.date(2016, 5, 1)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics-area")
    area = root / "area"
    assert main(["synth", "--out", str(area), "--people", "1000", "--seed", "2", "--quiet"]) == 0
    load_paths(area, root / "w.duckdb", root / "v.duckdb", GENERATED_AS_OF, progress=False)
    return root / "w.duckdb"


@pytest.mark.slow
def test_engine_and_reference_agree_on_a_generated_area(warehouse):
    with store.reading(warehouse) as con:
        computed = engine.compute_metrics(con)
        expected = reference.compute_metrics(con)
    months = sorted(
        r["period"] for r in computed if r["id"] == "nel_admissions" and r["grain"] == "month"
    )
    assert (months[0], months[-1], len(months)) == ("2013-04", "2016-03", 36)
    assert (
        sum(
            r["numerator"] for r in computed if r["id"] == "nel_admissions" and r["grain"] == "year"
        )
        > 0
    )
    assert_same_records(computed, expected)
