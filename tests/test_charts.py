import xml.etree.ElementTree as ET

from joinedup.metrics.charts import COLOURS, render_spc_svg
from joinedup.metrics.spc import xmr_chart

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"2015-{m:02d}" for m in range(4, 13)] + [f"2016-{m:02d}" for m in range(1, 4)]
# a rising run of 7 at the end: special cause improvement when higher is better
VALUES = [5, 2, 6, 3, 7, 1, 2, 3, 4, 5, 6, 7]


def parse(svg):
    return ET.fromstring(svg)


def by_class(root, tag, name):
    return [e for e in root.iter(SVG + tag) if name in (e.get("class") or "").split()]


def test_chart_is_one_self_contained_svg_element():
    svg = render_spc_svg(xmr_chart(VALUES, MONTHS, target=6), title="Reablement & rehab")
    root = parse(svg)
    assert root.tag == SVG + "svg"
    assert "<script" not in svg and "href" not in svg
    assert root.find(SVG + "title").text == "Reablement & rehab"


def test_every_point_is_drawn_and_coloured_by_its_type():
    chart = xmr_chart(VALUES, MONTHS, improvement="increase")
    root = parse(render_spc_svg(chart))
    circles = by_class(root, "circle", "point")
    assert len(circles) == len(VALUES)
    fills = [c.get("fill") for c in circles]
    assert fills == [COLOURS[p.point_type] for p in chart.points]
    assert fills[-1] == "#289DE0" and fills[0] == "#7B7D7D"
    assert circles[-1].find(SVG + "title").text == "2016-03: 7.0 (special cause: improvement)"


def test_concern_points_are_orange_when_lower_is_better():
    root = parse(render_spc_svg(xmr_chart(VALUES, MONTHS, improvement="decrease")))
    assert by_class(root, "circle", "point")[-1].get("fill") == "#FAB428"


def test_mean_limits_and_values_line_are_drawn_per_segment():
    chart = xmr_chart(VALUES, MONTHS, rebase_at=["2015-10"])
    root = parse(render_spc_svg(chart))
    assert len(by_class(root, "line", "mean")) == 2
    assert len(by_class(root, "line", "limit")) == 4
    values = by_class(root, "polyline", "values")
    assert len(values) == 1 and len(values[0].get("points").split()) == len(VALUES)


def test_higher_values_are_drawn_higher_up():
    root = parse(render_spc_svg(xmr_chart(VALUES, MONTHS)))
    cy = [float(c.get("cy")) for c in by_class(root, "circle", "point")]
    assert cy[-1] < cy[-2] < cy[5]  # 7 above 6 above 1 (SVG y grows downwards)
    upl, lpl = by_class(root, "line", "upl")[0], by_class(root, "line", "lpl")[0]
    assert (
        float(upl.get("y1"))
        < float(by_class(root, "line", "mean")[0].get("y1"))
        < float(lpl.get("y1"))
    )


def test_target_line_and_both_icons_with_labels():
    chart = xmr_chart(VALUES, MONTHS, target=[None] * 6 + [20] * 6)
    root = parse(render_spc_svg(chart))
    targets = by_class(root, "polyline", "target")
    assert len(targets) == 1 and len(targets[0].get("points").split()) == 6
    icons = {g.get("data-icon"): g for g in by_class(root, "g", "icon")}
    assert set(icons) == {"improvement_high", "fail"}
    labels = {
        g.get("data-icon"): g.find(SVG + "text[@class='icon-label']").text for g in icons.values()
    }
    assert labels == {
        "improvement_high": "Improvement (high)",
        "fail": "Target missed consistently",
    }


def test_without_a_target_there_is_no_target_line_or_assurance_icon():
    root = parse(render_spc_svg(xmr_chart(VALUES, MONTHS)))
    assert by_class(root, "polyline", "target") == []
    assert [g.get("data-icon") for g in by_class(root, "g", "icon")] == ["improvement_high"]


def test_axis_labels_name_the_periods_and_the_measure():
    root = parse(render_spc_svg(xmr_chart(VALUES, MONTHS), y_label="admissions"))
    periods = [t.text for t in by_class(root, "text", "x-tick")]
    assert periods[0] == "2015-04" and set(periods) <= set(MONTHS) and len(periods) >= 4
    assert by_class(root, "text", "y-label")[0].text == "admissions"
    assert len(by_class(root, "text", "y-tick")) >= 3


def test_output_is_deterministic():
    chart = xmr_chart(VALUES, MONTHS, target=6)
    assert render_spc_svg(chart, title="t") == render_spc_svg(chart, title="t")


def test_a_flat_single_point_chart_still_renders():
    root = parse(render_spc_svg(xmr_chart([0], ["2015-04"])))
    assert len(by_class(root, "circle", "point")) == 1


def test_every_icon_the_spc_module_can_give_has_a_badge():
    from joinedup.metrics.charts import ASSURANCE_BADGES, VARIATION_BADGES
    from joinedup.metrics.spc import ASSURANCE_ICONS, VARIATION_ICONS

    assert set(VARIATION_BADGES) == set(VARIATION_ICONS)
    assert set(ASSURANCE_BADGES) == set(ASSURANCE_ICONS)
