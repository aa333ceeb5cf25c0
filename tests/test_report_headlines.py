"""The board report's headline panels: which periods and grain are charted, the plan's targets and
measure, and the plain-English reading of each chart."""

from dataclasses import replace
from datetime import date

from joinedup.governance.disclosure import apply_disclosure_control
from joinedup.metrics import periods as P
from joinedup.metrics.spc import xmr_chart
from joinedup.plan import Plan, Trajectory
from joinedup.plan.loader import Scheme
from joinedup.report.headlines import HEADLINES, build_panel, complete, reading

NEL = next(h for h in HEADLINES if h.id == "nel_admissions")
READMISSIONS = next(h for h in HEADLINES if h.id == "readmissions_30d")
RES_ADMISSIONS = next(h for h in HEADLINES if h.id == "res_admissions_65")
YEAR_MONTHS = ("2015-04", "2016-03")
MONTHS = [p.label for p in P.covering(*YEAR_MONTHS, grains=("month",))]


def count_records(metric_id: str, grain: str, counts: dict[str, int]) -> list[dict]:
    return [
        {"id": metric_id, "period": period, "grain": grain, "numerator": n,
         "denominator": None, "value": n, "unit": "count", "breakdown": {}}
        for period, n in counts.items()
    ]  # fmt: skip


def plan(metric_id: str, targets: dict[str, float], measure: str = "value") -> Plan:
    return Plan(
        area="Test area",
        baseline_year="2014/15",
        experience_question="GPPS_LTC_SUPPORT",
        pooled_budget={},
        schemes=(),
        trajectories={metric_id: Trajectory(metric_id, measure, targets)},
    )


def test_monthly_chart_of_disclosure_controlled_values_with_the_plan_target():
    raw = count_records("nel_admissions", "month", dict(zip(MONTHS, range(101, 113), strict=True)))
    controlled = apply_disclosure_control(raw)
    panel = build_panel(NEL, controlled, plan("nel_admissions", {"2016-03": 100}), YEAR_MONTHS)
    assert (panel.grain, panel.unit) == ("month", "admissions")
    assert 'class="y-label"' in panel.svg and ">admissions</text>" in panel.svg
    assert [p.period for p in panel.chart.points] == MONTHS
    assert [p.value for p in panel.chart.points] == [
        100, 100, 105, 105, 105, 105, 105, 110, 110, 110, 110, 110,
    ]  # fmt: skip
    assert (panel.latest_period, panel.latest_value, panel.latest_target) == ("2016-03", 110, 100)
    assert panel.chart.points[-1].target == 100 and panel.chart.points[0].target is None
    assert panel.svg.startswith("<svg") and 'class="target"' in panel.svg


def test_months_after_the_data_ends_and_partial_years_are_not_charted():
    counts = dict(zip(MONTHS, [50] * 12, strict=True)) | {"2016-04": 10, "2015-03": 20}
    records = count_records("nel_admissions", "month", counts) + count_records(
        "nel_admissions", "year", {"2014/15": 600, "2015/16": 600, "2016/17": 10}
    )
    panel = build_panel(NEL, records, plan("nel_admissions", {"2015/16": 580}), YEAR_MONTHS)
    assert [p.period for p in panel.chart.points] == MONTHS
    assert [(r.period, r.actual, r.target) for r in panel.plan_rows] == [("2015/16", 600, 580)]


def test_a_suppressed_month_moves_the_chart_to_quarters():
    months = dict(zip(MONTHS, [20] * 12, strict=True)) | {"2015-07": 5}
    quarters = {f"2015/16-Q{q}": 60 for q in range(1, 5)}
    records = apply_disclosure_control(
        count_records("nel_admissions", "month", months)
        + count_records("nel_admissions", "quarter", quarters)
    )
    panel = build_panel(NEL, records, None, YEAR_MONTHS)
    assert panel.grain == "quarter"
    assert [p.period for p in panel.chart.points] == list(quarters)


def test_a_metric_suppressed_in_every_grain_is_not_charted_and_says_why():
    records = apply_disclosure_control(
        count_records("nel_admissions", "month", dict(zip(MONTHS, [3] * 12, strict=True)))
    )
    panel = build_panel(NEL, records, None, YEAR_MONTHS)
    assert panel.svg is None and panel.grain is None and panel.latest_value is None
    assert "suppressed" in panel.reading[0]


def test_a_plan_measured_on_the_numerator_charts_the_count():
    records = [
        {"id": "res_admissions_65", "period": m, "grain": "month", "numerator": 20,
         "denominator": 30000, "value": 66.7, "unit": "per_100k", "breakdown": {}}
        for m in MONTHS
    ]  # fmt: skip
    trajectory = plan("res_admissions_65", {"2016-03": 15}, measure="numerator")
    panel = build_panel(RES_ADMISSIONS, records, trajectory, YEAR_MONTHS)
    assert panel.measure == "numerator" and panel.unit == "count"
    assert {p.value for p in panel.chart.points} == {20}
    assert panel.formatted(panel.latest_value) == "20"


def test_reading_counts_the_run_of_a_shift():
    values = [30, 31, 30, 31, 30, 31, 30, 31, 29, 29, 29, 29, 29, 29, 29]
    months = [p.label for p in P.covering("2015-01", "2016-03", grains=("month",))]
    chart = xmr_chart(values, months, improvement="decrease", screen_outliers=False)
    assert chart.points[-1].rule == "shift"
    assert reading(chart, "month", NEL)[0] == (
        "Special cause improvement: 7 months in a row below the mean, up to 2016-03."
    )


def test_reading_of_a_rising_trend_is_concern_when_lower_is_better():
    values = [10, 14, 9, 13, 8, 10, 11, 12, 13, 14, 15, 16]
    chart = xmr_chart(values, MONTHS, improvement="decrease")
    assert chart.points[-1].rule == "trend"
    assert reading(chart, "month", READMISSIONS)[0] == (
        "Special cause concern: 8 months in a row rising, up to 2016-03."  # 8, 10, ..., 16
    )


def test_reading_of_a_point_above_the_upper_limit():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 30]
    chart = xmr_chart(values, MONTHS, improvement="decrease")
    assert reading(chart, "month", NEL)[0] == (
        "Special cause concern: the latest month (2016-03) is above the upper process limit."
    )


def test_reading_of_common_cause_gives_the_limits_assurance_and_plan():
    values = [10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 12]
    target = [None] * 11 + [10]
    chart = xmr_chart(values, MONTHS, improvement="decrease", target=target)
    mean = sum(values) / 12
    sentences = reading(chart, "month", NEL)
    low, high = chart.points[-1].lpl, chart.points[-1].upl
    assert low < 10 < high and abs(chart.points[-1].mean - mean) < 1e-9
    assert sentences == [
        "Common cause variation: no signal of change in the latest month (2016-03);"
        f" expect between {low:,.1f} and {high:,.1f} a month unless the process changes.",
        "Assurance: the target lies within the process limits, so it will be met in some"
        " periods and missed in others.",
        "2016-03: 12 against a plan of 10, above plan by 20% (worse than planned).",
    ]


def test_reading_says_when_the_target_is_met_consistently():
    values = [10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 12]
    chart = xmr_chart(values, MONTHS, improvement="decrease", target=40)
    sentences = reading(chart, "month", NEL)
    assert sentences[1] == "Assurance: the system is expected to meet the target consistently."
    assert (
        sentences[2] == "2016-03: 12 against a plan of 40, below plan by 70% (better than planned)."
    )


def test_periods_whose_follow_up_or_look_back_leaves_the_data_are_dropped():
    first, last = P.parse("2013-04"), P.parse("2016-03")
    march, february = P.parse("2016-03"), P.parse("2016-02")
    assert not complete(march, first, last, "readmissions_30d")  # 29 days after 31 March
    assert complete(february, first, last, "readmissions_30d")  # 29 Feb + 29 days = 29 March
    assert complete(march, first, last, "nel_admissions")
    year_one, year_three = P.parse("2013/14"), P.parse("2015/16")
    assert not complete(year_one, first, last, "eol_admissions")  # looks back into 2012/13
    assert complete(year_three, first, last, "eol_admissions")
    # reablement follows a 31 December discharge to day 91: 31 March in 2016 (a leap year),
    # 1 April in 2015
    assert complete(year_three, first, last, "reablement_91d")
    assert not complete(P.parse("2014/15"), first, P.parse("2015-03"), "reablement_91d")


def test_the_readmissions_chart_ends_where_30_days_of_follow_up_end():
    months = [p.label for p in P.covering("2015-04", "2016-03", grains=("month",))]
    records = [
        {"id": "readmissions_30d", "period": m, "grain": g, "numerator": 50,
         "denominator": 400, "value": 12.5, "unit": "percent", "breakdown": {}}
        for m, g in [*((m, "month") for m in months), ("2015/16", "year")]
    ]  # fmt: skip
    targets = plan("readmissions_30d", {"2015/16": 11.5, "2016-02": 11.0})
    panel = build_panel(READMISSIONS, records, targets, YEAR_MONTHS)
    assert [p.period for p in panel.chart.points] == months[:-1]
    assert (panel.latest_period, panel.latest_target) == ("2016-02", 11.0)
    assert panel.plan_rows == ()  # 2015/16's March discharges are not yet followed up


def test_reading_warns_that_limits_from_few_points_are_a_rough_guide():
    chart = xmr_chart([30.0, 32.0, 31.0], ["2013/14", "2014/15", "2015/16"], improvement="decrease")
    sentences = reading(chart, "year", NEL)
    assert sentences[-1] == (
        "Only 3 years of figures: the process limits are a rough guide until there are at least 12."
    )
    assert len(reading(xmr_chart([30.0] * 12, MONTHS), "month", NEL)) == 1


def test_a_schemes_go_live_rebases_the_charts_of_the_metrics_it_is_judged_by():
    values = [200] * 6 + [150] * 6  # the scheme halves the gap from October
    records = count_records("nel_admissions", "month", dict(zip(MONTHS, values, strict=True)))
    hub = Scheme("004", "the GP hub", 50_000, None, 0, ("nel_admissions",), "",
                 go_live=date(2015, 9, 15))  # fmt: skip
    unrelated = Scheme("002", "End of life", 1, None, 0, ("eol_admissions",), "",
                       go_live=date(2015, 6, 1))  # fmt: skip
    with_schemes = replace(plan("nel_admissions", {}), schemes=(hub, unrelated))
    panel = build_panel(NEL, records, with_schemes, YEAR_MONTHS)
    segments = [p.segment for p in panel.chart.points]
    assert segments == [0] * 6 + [1] * 6  # the first month starting on or after 15 September
    assert (panel.chart.points[0].mean, panel.chart.points[-1].mean) == (200, 150)
    assert "Rebased at 2015-10, when the GP hub went live" in " ".join(panel.reading)
    assert panel.svg.count('class="mean"') == 2  # one mean line per segment
    before = replace(hub, go_live=date(2015, 1, 1))  # before the chart: nothing to rebase
    panel = build_panel(NEL, records, replace(with_schemes, schemes=(before,)), YEAR_MONTHS)
    assert {p.segment for p in panel.chart.points} == {0}
