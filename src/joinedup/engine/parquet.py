"""Parquet-folder stores: one folder per table (`F/<table>/*.parquet`), the layout Spark reads
and writes and DuckDB reads too. A warehouse and a vault are written to separate folders, so
that a cluster can give them separate access (docs/spark.md)."""

from __future__ import annotations

from pathlib import Path

from joinedup import duck
from joinedup.engine import DuckDB
from joinedup.errors import BadInput


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def export(con, folder: str | Path) -> list[str]:
    """Write every table of a DuckDB store (an open connection) to `folder/<table>/`; the
    tables written, in order. The folder must not exist yet or be empty."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BadInput(f"{folder}: not empty; give a new folder for the Parquet store")
    tables = sorted(DuckDB(con).tables())
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # a vault's folder holds identifiers
    for table in tables:
        (folder / table).mkdir(mode=0o700)
        con.execute(
            f"COPY (SELECT * FROM \"{table}\") TO '{_quoted(folder / table / 'part-0.parquet')}'"
            " (FORMAT parquet)"
        )
    return tables


def tables_in(folder: str | Path) -> list[str]:
    """The table folders of a Parquet store (staging and hidden folders left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no Parquet store here (a folder with one folder per table)")
    return sorted(
        p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )


def open_in_duckdb(folder: str | Path) -> DuckDB:
    """A DuckDB engine reading a Parquet store: one view per table folder."""
    con = duck.connect()
    for table in tables_in(folder):
        files = Path(folder) / table / "*.parquet"
        con.execute(f"CREATE VIEW \"{table}\" AS SELECT * FROM read_parquet('{_quoted(files)}')")
    return DuckDB(con)
