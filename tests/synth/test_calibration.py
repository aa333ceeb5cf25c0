"""The default area (175,000 people, default seed) reproduces every published figure."""

import pytest

from joinedup.synth.calibrate import calibration_rows


@pytest.mark.slow
def test_every_calibration_figure_passes_on_the_default_area(default_area):
    rows = calibration_rows(default_area)
    assert len(rows) == 39
    failed = [(r.figure, r.year, r.value, r.low, r.high) for r in rows if not r.passed]
    assert failed == []
