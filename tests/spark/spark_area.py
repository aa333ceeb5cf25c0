"""Helpers of the Spark suite."""

from pathlib import Path

from joinedup.engine import parquet
from joinedup.warehouse import store


def as_parquet(warehouse: Path, folder: Path) -> Path:
    """A warehouse file written as a new Parquet folder."""
    with store.reading(warehouse) as con:
        parquet.export(con, folder)
    return folder
