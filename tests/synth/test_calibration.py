"""The default area (175,000 people, default seed) reproduces every published figure."""

import pytest

from joinedup.synth.calibrate import calibration_rows
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate


@pytest.mark.slow
def test_every_calibration_figure_passes_on_the_default_area(tmp_path):
    generate(tmp_path, AreaSpec(), progress=False)
    rows = calibration_rows(tmp_path)
    assert len(rows) == 39
    failed = [(r.figure, r.year, r.value, r.low, r.high) for r in rows if not r.passed]
    assert failed == []
