"""Linkage quality on a small generated area, landed end to end, against the generator's truth."""

from __future__ import annotations

import pytest

from joinedup.cli import main
from joinedup.identity.evaluate import linkage_quality
from joinedup.landing import load_area

pytestmark = pytest.mark.slow


def test_linkage_meets_the_bars_for_rows_without_a_valid_nhs_number(tmp_path, monkeypatch):
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    area = tmp_path / "area"
    assert main(["synth", "--out", str(area), "--people", "3000", "--seed", "1"]) == 0
    warehouse = tmp_path / "warehouse.duckdb"
    load_area(area, warehouse, tmp_path / "vault.duckdb", progress=False)

    quality = linkage_quality(warehouse, area / "truth")

    assert quality["rows_without_valid_nhs_number"] > 300  # the area has flaws to link
    assert quality["precision"] >= 0.99
    assert quality["recall"] >= 0.97
