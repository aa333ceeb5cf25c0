"""The report's practice comparison (funnel plots): control limits around the area's rate that
narrow with a practice's size, outliers named beyond the 99.8% limits, and only published
(disclosure-controlled) figures drawn."""

import re

import pytest
from test_spec_random_areas import build_random_area

from joinedup.landing.write import create_tables
from joinedup.marts import build_marts
from joinedup.metrics.catalogue import catalogue
from joinedup.report.builder import build_report, complete_months
from joinedup.report.funnel import _plot, funnel_plots, limits
from joinedup.warehouse import store


def test_the_limits_are_the_area_rate_plus_or_minus_z_binomial_standard_errors():
    low, high = limits(20.0, 100, 1.96)  # sd = sqrt(0.2 x 0.8 / 100) = 4 points
    assert (round(low, 2), round(high, 2)) == (12.16, 27.84)
    assert limits(20.0, 400, 1.96) == pytest.approx((16.08, 23.92))  # four times the size: half
    assert limits(1.0, 10, 3.09)[0] == 0.0  # clipped at 0%


def record(group, numerator, denominator):
    value = None if numerator is None else numerator / denominator * 100
    return {"group": group, "numerator": numerator, "denominator": denominator, "value": value}


def test_a_practice_beyond_the_outer_limits_is_named_and_a_suppressed_one_is_not_drawn():
    plot = _plot(
        catalogue()["weekend_discharges"],
        "2015/16",
        [
            record(None, 500, 1000),
            record("P1", 280, 400),  # 70% of 400: the 99.8% limits are 50 +/- 7.7
            record("P2", 120, 400),  # 30%: below
            record("P3", 12, 20),  # 60% of only 20: inside the wide limits of a small practice
            record("P4", None, 15),  # suppressed
            record("unregistered", 40, 100),  # no practice
        ],
    )
    assert [(p.practice, p.outside) for p in plot.points] == [
        ("P1", "above"),
        ("P2", "below"),
        ("P3", ""),
    ]
    assert plot.not_shown == 1 and plot.area_value == 50.0
    assert plot.svg.count("<circle") == 3 and plot.svg.count("<polyline") == 4
    assert "P4" not in plot.svg and "unregistered" not in plot.svg


@pytest.fixture(scope="module", name="report")
def report_fixture(tmp_path_factory):
    folder = tmp_path_factory.mktemp("funnel")
    warehouse = folder / "random.duckdb"
    build_random_area(warehouse, 7, people=600)
    with store.writing(warehouse) as con:
        create_tables(con)  # landing's (empty) metadata, which the report's quality section reads
        build_marts(con)
    with store.reading(warehouse) as con:
        build_report(con, folder / "report.html")
        plots = funnel_plots(con, complete_months(con))
    return plots, (folder / "report.html").read_text()


def test_the_report_draws_a_funnel_per_rate_metric_from_published_figures_only(report):
    plots, html = report
    assert plots and all(catalogue()[p.metric].unit == "percent" for p in plots)
    for plot in plots:
        assert f'id="funnel-{plot.metric}"' in html
        for point in plot.points:  # rounded to 5 and never 1-7: what tier A publishes
            assert point.denominator % 5 == 0 and point.denominator >= 10
    funnels = "".join(re.findall(r'<figure class="chart funnel".*?</figure>', html, re.S))
    drawn = re.findall(r"<title>([^<]+)</title></circle>", funnels)
    assert len(drawn) == sum(len(p.points) for p in plots)
    assert all(re.fullmatch(r"\w+: \d+\.\d% of [\d,]+", t) for t in drawn)
