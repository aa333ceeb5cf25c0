"""Spec cases for the metric engine: each test writes a tiny warehouse, checks a hand-computed
figure, and checks that the engine and the reference agree on every record."""

import pytest
from spec_area import SpecArea


@pytest.fixture
def area(tmp_path) -> SpecArea:
    return SpecArea(tmp_path / "warehouse.duckdb")
