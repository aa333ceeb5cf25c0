"""Helpers of the Spark suite."""

import datetime as dt
from pathlib import Path

from joinedup.engine import parquet
from joinedup.warehouse import store

GENERATED_AS_OF = dt.date(2016, 5, 1)  # the generator's default window ends 2016-03


def as_parquet(warehouse: Path, folder: Path) -> Path:
    """A warehouse file written as a new Parquet folder."""
    with store.reading(warehouse) as con:
        parquet.export(con, folder)
    return folder
