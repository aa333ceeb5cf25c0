"""Parquet-folder stores: one folder per table (`F/<table>/*.parquet`), the layout Spark reads
and writes and DuckDB reads too. A warehouse and a vault are written to separate folders, so
that a cluster can give them separate access (docs/spark.md).

`load --engine spark` keeps its warehouse folder in snapshots, so that a load lands whole or not
at all: each load writes every table into a new `F/_snapshots/<number>/`, then names it in the
pointer file `F/_current` by one atomic rename; readers follow the pointer (`current`). A folder
without a pointer (`joinedup parquet`) is its own one snapshot."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from joinedup import duck
from joinedup.engine import DuckDB
from joinedup.errors import BadInput, StoreError
from joinedup.warehouse.store import exclusive, fsync

POINTER = "_current"  # the current snapshot's name, one line
SNAPSHOTS = "_snapshots"  # one folder per load: _snapshots/000001/<table>/part-0.parquet
KEEP = 2  # snapshots kept: the current one and the one before (a reader may still be on it)
LOCK = "_lock"


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
        _write_table(con, table, folder)
    return tables


def _write_table(con, table: str, folder: Path) -> None:
    (folder / table).mkdir(mode=0o700)
    file = folder / table / "part-0.parquet"
    # ZSTD: at 175,000 people a snapshot is 77 MB against Snappy's 142 (the DuckDB file: 98)
    options = "FORMAT parquet, COMPRESSION zstd"
    con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_quoted(file)}' ({options})")


def current(folder: str | Path) -> Path:
    """The folder holding a Parquet store's tables now: the snapshot its pointer names, or the
    folder itself when it has none."""
    folder = Path(folder)
    pointer = folder / POINTER
    return folder / SNAPSHOTS / pointer.read_text().strip() if pointer.is_file() else folder


def tables_in(folder: str | Path) -> list[str]:
    """The table folders of a Parquet store's current snapshot (staging and hidden folders
    left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no Parquet store here (a folder with one folder per table)")
    return sorted(
        p.name
        for p in current(folder).iterdir()
        if p.is_dir() and not p.name.startswith(("_", "."))
    )


def open_in_duckdb(folder: str | Path) -> DuckDB:
    """A DuckDB engine reading a Parquet store: one view per table folder."""
    con = duck.connect()
    for table in tables_in(folder):
        files = current(folder) / table / "*.parquet"
        con.execute(f"CREATE VIEW \"{table}\" AS SELECT * FROM read_parquet('{_quoted(files)}')")
    return DuckDB(con)


@contextmanager
def writing(
    folder: str | Path, what: str = "warehouse", memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB working copy of a Parquet store's current tables (in an owner-only temporary
    folder), written as the store's next snapshot when the block ends cleanly; the pointer then
    names it and the snapshots before the one it replaced are removed. A block that fails, or a
    process killed at any point, leaves the pointer, so readers and the next writer, on the
    snapshot before (the next writer removes what a killed one left). One writer at a time: a
    second fails at once (exit 5). `memory_limit`: the working copy's DuckDB cap (`joinedup.duck`)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise StoreError(
            f"{folder}: a file, not a Parquet folder; with --engine spark the {what} is a folder"
            f" (write a DuckDB {what} as one with `joinedup parquet {folder} --out DIR`)"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _exclusive(folder, what):
        _discard_unfinished(folder)
        work = _working_folder(folder)
        try:
            con = duck.connect(str(work / f"{what}.duckdb"), memory_limit=memory_limit)
            try:
                _import(con, folder)
                yield con
                name = _write_snapshot(con, folder)
            finally:
                con.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _point_to(folder, name)
        _prune(folder)


def _working_folder(folder: Path) -> Path:
    """An owner-only temporary folder for the working copy, one per store: the next writer
    (holding the lock) removes what a killed one left."""
    name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    work = Path(tempfile.gettempdir()) / f"joinedup-working-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    return work


def _import(con, folder: Path) -> None:
    """The current snapshot's tables as tables of the working copy."""
    for table in tables_in(folder):
        files = _quoted(current(folder) / table / "*.parquet")
        con.execute(f"CREATE TABLE \"{table}\" AS SELECT * FROM read_parquet('{files}')")


def _numbers(folder: Path) -> list[int]:
    snapshots = folder / SNAPSHOTS
    if not snapshots.is_dir():
        return []
    return sorted(int(p.name) for p in snapshots.iterdir() if p.name.isdigit())


def _current_number(folder: Path) -> int:
    pointer = folder / POINTER
    return int(pointer.read_text().strip()) if pointer.is_file() else 0


def _snapshot(folder: Path, number: int) -> Path:
    return folder / SNAPSHOTS / f"{number:06d}"


def _discard_unfinished(folder: Path) -> None:
    """Snapshots after the current one: what a writer killed before its commit left."""
    now = _current_number(folder)
    for number in _numbers(folder):
        if number > now:
            shutil.rmtree(_snapshot(folder, number))
    (folder / f"{POINTER}.next").unlink(missing_ok=True)


def _write_snapshot(con, folder: Path) -> str:
    """Every table of the working copy (none of its temporary tables) as the next snapshot,
    each file made durable; the snapshot's name."""
    number = max([_current_number(folder), *_numbers(folder)]) + 1
    target = _snapshot(folder, number)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    target.mkdir(mode=0o700)
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        " AND database_name = current_database() ORDER BY 1"
    ).fetchall()
    for (table,) in tables:
        _write_table(con, table, target)
        fsync(target / table / "part-0.parquet")
        fsync(target / table)
    fsync(target)
    fsync(target.parent)
    return target.name


def _point_to(folder: Path, name: str) -> None:
    """The commit: the pointer names the new snapshot, in one atomic rename."""
    staged = folder / f"{POINTER}.next"
    staged.write_text(name + "\n")
    fsync(staged)
    os.replace(staged, folder / POINTER)
    fsync(folder)


def _prune(folder: Path) -> None:
    for number in _numbers(folder)[:-KEEP]:
        shutil.rmtree(_snapshot(folder, number), ignore_errors=True)


def _exclusive(folder: Path, what: str):
    return exclusive(folder / LOCK, folder, what)
