"""The default area (175,000 people, seed 1), generated once per session for the calibration and
the social care signal tests."""

from pathlib import Path

import pytest

from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate


@pytest.fixture(scope="session")
def default_area(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("default_area")
    generate(folder, AreaSpec(), progress=False)
    return folder
