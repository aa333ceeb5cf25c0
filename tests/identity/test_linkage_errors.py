"""Splink's failures inside the linkage's own DuckDB reach the load as DuckDB's own error, so
that a full disk or memory is the load's one line (exit 5), not a Splink traceback."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from joinedup.identity import probabilistic

PAIRS = 20_000  # records that all block together: more candidate pairs than 16MB holds


def records(prefix: str, with_person: bool = False) -> pa.Table:
    columns = {
        "unique_id": [f"{prefix}{i}" for i in range(PAIRS)],
        "nhs_number": pa.array([None] * PAIRS, pa.string()),
        "given_name": ["ANNE"] * PAIRS,
        "family_name": ["SMITH"] * PAIRS,
        "date_of_birth": [dt.date(1940, 1, 1)] * PAIRS,
        "sex": ["F"] * PAIRS,
        "postcode": ["SS1 1AA"] * PAIRS,
    }
    if with_person:
        columns["person_key"] = list(range(PAIRS))
    return pa.table(columns)


def test_out_of_memory_inside_splink_is_duckdbs_own_error(monkeypatch):
    monkeypatch.setenv("JOINEDUP_LOAD_MEMORY", "16MB")
    with pytest.raises(duckdb.OutOfMemoryException):
        probabilistic.best_candidates(records("n"), records("k", with_person=True), PAIRS)
