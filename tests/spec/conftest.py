"""Spec cases for the metric engine: each test writes a tiny warehouse, checks a hand-computed
figure, and checks that the engine and the reference agree on every record."""

import pytest

pytest.register_assert_rewrite("spec_area")

from spec_area import SpecArea  # noqa: E402


@pytest.fixture
def area(tmp_path) -> SpecArea:
    return SpecArea(tmp_path / "warehouse.duckdb")
