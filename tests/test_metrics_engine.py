"""compute_metrics as an API: coverage of the data, metric selection, empty warehouses."""

from datetime import date, timedelta

import duckdb
import pytest

from joinedup import contract
from joinedup.errors import UserError
from joinedup.metrics import engine, reference
from joinedup.metrics.catalogue import catalogue
from joinedup.warehouse import schema, store


def metrics_of(path, *args, module=engine, **kwargs) -> list[dict]:
    with store.reading(path) as con:
        return module.compute_metrics(con, *args, **kwargs)


def warehouse_with_spells(path, admissions: list[date]) -> None:
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        for n, day in enumerate(admissions):
            con.execute(
                "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
                " admission_method, main_specialty, postcode_in_area)"
                " VALUES (1, ?, 'RZA', ?, '21', '300', true)",
                [n, day],
            )


def test_coverage_spans_the_busy_months_and_ignores_stray_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    busy = [date(2015, 4, 1) + timedelta(days=d) for d in range(0, 91)]  # April to June
    warehouse_with_spells(path, busy + [date(2015, 3, 31), date(2021, 5, 5)])
    records = metrics_of(path, ["nel_admissions"])
    assert [r["period"] for r in records] == [
        "2015-04",
        "2015-05",
        "2015-06",
        "2015/16-Q1",
        "2015/16",
    ]
    assert sum(r["numerator"] for r in records if r["grain"] == "month") == 91
    assert [r["period"] for r in metrics_of(path, ["nel_admissions"], module=reference)] == [
        r["period"] for r in records
    ]


def test_only_the_requested_metrics_come_back_in_the_order_of_metrics_md(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse_with_spells(path, [date(2015, 5, 5)])
    records = metrics_of(path, ["ae_conversion", "nel_admissions_rate"])
    assert [r["id"] for r in records] == ["nel_admissions_rate"] * 3 + ["ae_conversion"]


def test_an_unknown_metric_is_a_user_error_naming_it(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse_with_spells(path, [])
    with pytest.raises(UserError, match="unknown metric nel_admission;"):
        metrics_of(path, ["nel_admission"])


def test_a_warehouse_without_activity_has_no_metrics(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse_with_spells(path, [])
    assert metrics_of(path) == []
    assert metrics_of(path, module=reference) == []


def test_the_file_is_free_after_a_run_and_a_given_connection_stays_open(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse_with_spells(path, [date(2015, 5, 5)])
    metrics_of(path, ["nel_admissions"])
    with duckdb.connect(str(path)) as writer:  # no read-only handle left holding the file
        writer.execute("DELETE FROM acute_apc")
    con = duckdb.connect(str(path))
    assert (
        engine.compute_metrics(con, ["nel_admissions"], months=("2015-05", "2015-05"))[0][
            "numerator"
        ]
        == 0
    )
    assert con.execute("SELECT COUNT(*) FROM acute_apc").fetchone() == (0,)


def test_the_catalogue_lists_every_computed_metric_once_with_a_definition():
    metrics = catalogue()
    assert list(metrics) == list(engine.METRICS) and set(metrics) == set(engine.CALCULATIONS)
    feeds = set(contract.feeds())
    for metric in metrics.values():
        assert metric.title and len(metric.definition) > 20 and "metrics.md" not in metric.definition
        assert set(metric.feeds) <= feeds, metric.id
    readmissions, reablement = metrics["readmissions_30d"], metrics["reablement_91d"]
    assert readmissions.days_needed(date(2015, 4, 1), date(2015, 4, 30)) == (
        date(2015, 4, 1),
        date(2015, 5, 29),
    )
    assert reablement.days_needed(date(2014, 4, 1), date(2015, 3, 31))[1] == date(2015, 4, 1)
    eol = metrics["eol_admissions"]
    assert eol.days_needed(date(2015, 4, 1), date(2016, 3, 31))[0] == date(2014, 4, 1)
