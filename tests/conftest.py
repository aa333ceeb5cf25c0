"""Fixtures shared by every test folder. Helpers live in named modules beside the tests that use
them (landing/landing_area.py, service/web_helpers.py, risk_area.py, ...), never in a conftest,
so that no test imports a conftest by name."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_generated_area(tmp_path_factory) -> Path:
    """A generated area of 2,000 people, shared by the tests that need real senders' files."""
    from joinedup.cli import main

    area = tmp_path_factory.mktemp("small_area") / "area"
    assert main(["synth", "--out", str(area), "--people", "2000", "--seed", "3", "--quiet"]) == 0
    return area
