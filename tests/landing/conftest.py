"""The landing tests' fixtures: a small hand-written area and fresh stores (helpers in
landing_area.py; the shared generated area in ../conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from landing_area import base_area


@pytest.fixture
def area(tmp_path) -> Path:
    return base_area(tmp_path / "area")


@pytest.fixture
def stores(tmp_path, monkeypatch) -> dict[str, Path]:
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("JOINEDUP_ROW_KEY", raising=False)
    return {"warehouse": tmp_path / "w.duckdb", "vault": tmp_path / "v.duckdb"}
