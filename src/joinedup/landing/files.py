"""Finding an area's feed files and reading them, as sent, into DuckDB.

A feed arrives as `<feed>.csv`, `<feed>.parquet` or a folder `<feed>/` of such files (one a
month). Every cell is read as text: the contract's rules, not the reader, decide what is valid.
Line numbers count the header as line 1, so the first data row is line 2 (for Parquet, the row
that line would be in the equivalent CSV). This module reads identifiable values: it never logs one.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.contract import Feed
from joinedup.errors import BadInput
from joinedup.landing import rowwise
from joinedup.landing.rules import literal, quote

SUFFIXES = (".csv", ".csv.gz", ".parquet")  # matched case-insensitively


class UnreadableFile(BadInput):
    """A file that cannot be read as CSV or Parquet: the load rejects it whole and goes on."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(f"{file_name}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class FeedFile:
    feed: Feed
    path: Path
    name: str  # relative to the area folder, as recorded in the warehouse

    @property
    def is_parquet(self) -> bool:
        return self.name.lower().endswith(".parquet")

    @property
    def is_gzip(self) -> bool:
        return self.name.lower().endswith(".gz")


@dataclass(frozen=True)
class Skipped:
    """An entry of the area folder that is not landed, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Header:
    """How a file's columns (by position) meet its feed's contract columns. A name that is not a
    contract column may be a cell (a file sent without its header): it is only ever named by
    position and keyed hash (`extra`), never as written."""

    names: tuple[str, ...]  # as in the file: identifiable, for the vault only
    columns: dict[int, str]  # position -> contract column name
    extra: tuple[str, ...]  # "column 7 #1a2b3c4d" for each other column
    missing_required: tuple[str, ...]
    duplicated: tuple[str, ...]
    misspelt: tuple[str, ...] = ()  # contract columns an extra name is one or two edits from

    @property
    def absent(self) -> bool:
        """No name is a contract column: line 1 is not a header."""
        return not self.columns

    @property
    def acceptable(self) -> bool:
        return not (self.absent or self.missing_required or self.duplicated or self.misspelt)

    def problems(self) -> list[tuple[str, str, str]]:
        """(column, rule, description) of each reason to reject the whole file."""
        if self.absent:
            return [("_header", "no_header", "no header row: line 1 names no contract column")]
        return (
            [(c, "missing_column", f"missing required column {c}") for c in self.missing_required]
            + [(c, "duplicate_column", f"column {c} named twice") for c in self.duplicated]
            + [(c, "misspelt_column", f"a column looks like {c} misspelt") for c in self.misspelt]
        )


def landing_order() -> list[Feed]:
    """Reference tables first (rows are placed with postcode_lookup), then objections (they decide
    which GP rows land), then every other feed in contract order."""
    feeds = list(contract.feeds().values())
    return sorted(feeds, key=lambda f: (not f.is_reference, f.name != "objections"))


def discover(directory: Path) -> tuple[list[FeedFile], list[Skipped]]:
    """Every contract file in the area folder, in landing order, monthly files by name, and every
    other entry with the reason it is skipped: nothing in the folder is ignored silently."""
    if not directory.is_dir():
        raise BadInput(f"{directory}: no such folder")
    feeds = {f.name: f for f in landing_order()}
    found: list[FeedFile] = []
    skipped: list[Skipped] = []
    for entry in sorted(directory.iterdir()):
        reason = _unsafe(entry, directory)
        feed = feeds.get(entry.name.lower())
        if reason is None and entry.is_dir() and feed is not None:
            for inner in sorted(entry.iterdir()):
                _sort(inner, directory, feed, found, skipped)
        elif reason is None and entry.is_dir():
            named_like = "a folder named like a feed file" if _stem(entry.name) in feeds else None
            reason = named_like or "a folder not named after a contract feed"
            skipped.append(Skipped(entry.name, reason))
        elif reason is None:
            _sort(entry, directory, feeds.get(_stem(entry.name)), found, skipped)
        else:
            skipped.append(Skipped(entry.name, reason))
    if not found:
        raise BadInput(f"{directory}: no file named after a contract feed (e.g. acute_apc.csv)")
    order = list(feeds)
    found.sort(key=lambda f: (order.index(f.feed.name), f.name))
    return found, skipped


def _stem(name: str) -> str:
    lower = name.lower()
    suffix = next((s for s in SUFFIXES if lower.endswith(s)), "")
    return lower[: len(lower) - len(suffix)] if suffix else ""


def _unsafe(entry: Path, directory: Path) -> str | None:
    """Why an entry cannot be read as a feed file (None if it can)."""
    if entry.is_symlink():
        if not entry.exists():
            return "a link to nothing"
        if not entry.resolve().is_relative_to(directory.resolve()):
            return "a link out of the folder (refused)"
    if not (entry.is_file() or entry.is_dir()):
        return "not a regular file"
    return None


def _sort(entry: Path, directory: Path, feed: Feed | None, found: list, skipped: list) -> None:
    name = entry.relative_to(directory).as_posix()
    reason = _unsafe(entry, directory)
    if reason is None and entry.is_dir():
        reason = "a folder inside a feed's folder"
    elif reason is None and not _stem(entry.name):
        reason = "not .csv, .csv.gz or .parquet"
    elif reason is None and feed is None:
        reason = "not named after a contract feed"
    if reason:
        skipped.append(Skipped(name, reason))
    else:
        found.append(FeedFile(feed, entry, name))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_header(con: duckdb.DuckDBPyConnection, file: FeedFile) -> tuple[str, ...]:
    """The file's column names as written (a CSV's first line, a UTF-8 BOM tolerated)."""
    if file.is_parquet:
        try:
            described = con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({literal(str(file.path))})"
            )
        except duckdb.Error:
            raise UnreadableFile(file.name, "not readable as Parquet") from None
        return tuple(row[0] for row in described.fetchall())
    try:
        with rowwise.open_bytes(file.path) as handle:
            first_line = handle.readline()
    except (OSError, EOFError):
        raise UnreadableFile(file.name, "not readable (a damaged compressed file?)") from None
    try:
        if first_line.count(b'"') % 2:  # a quote left open: the header is not line 1 alone
            raise csv.Error
        return tuple(next(csv.reader([first_line.decode("utf-8-sig")], strict=True), []))
    except (UnicodeDecodeError, csv.Error):
        raise UnreadableFile(file.name, "line 1: the header is not UTF-8 CSV") from None


def match_header(feed: Feed, names: tuple[str, ...], secret: bytes) -> Header:
    """Contract names match case-insensitively, surrounding spaces ignored, in any order."""
    wanted = {c.lower(): c for c in feed.column_names}
    columns: dict[int, str] = {}
    extra, duplicated, others = [], [], []
    for position, name in enumerate(names):
        column = wanted.get(name.strip().lower())
        if column is None:
            digest = hmac.new(secret, name.strip().lower().encode(), hashlib.sha256).hexdigest()
            extra.append(f"column {position + 1} #{digest[:8]}")
            others.append(name.strip().lower())
        elif column in columns.values():
            duplicated.append(column)
        else:
            columns[position] = column
    present = set(columns.values())
    missing = tuple(c for c in feed.required_columns if c not in present)
    misspelt = tuple(
        c
        for c in feed.column_names
        if c not in present and c not in missing and any(_looks_like(o, c) for o in others)
    )
    return Header(tuple(names), columns, tuple(extra), missing, tuple(duplicated), misspelt)


def _looks_like(name: str, column: str) -> bool:
    """One or two edits from a contract column (one for short names, where two is a new word)."""
    return 0 < _edit_distance(name, column) <= (1 if len(column) < 6 else 2)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def count_records(file: FeedFile) -> int:
    """The records of a file that cannot be read as rows (0 for Parquet or a damaged archive)."""
    if file.is_parquet:
        return 0
    try:
        return rowwise.count_records(file.path)
    except (OSError, EOFError):
        return 0


def stage_raw(con: duckdb.DuckDBPyConnection, file: FeedFile, header: Header, table: str) -> int:
    """Copy the file's records, as text, into temp table `table` in file order (so that rowid + 2
    is the line): c0, c1, ... by position, `_overflow` (the fields beyond the header, or a record
    that could not be read, as sent) and `_problem` ("column#rule" of a record that cannot be a
    row: too few or too many fields, unreadable). DuckDB's reader first; where it gives up, the
    file is read record by record. Returns the number of records."""
    positions = [f"c{i}" for i in range(len(header.names))]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {_source_sql(file, header, positions)}")
    except duckdb.Error:
        # DuckDB's message may quote the offending cells: never pass it on.
        if file.is_parquet:
            raise UnreadableFile(file.name, "not readable as Parquet") from None
        _stage_record_by_record(con, file, len(positions), table)
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _stage_record_by_record(con, file: FeedFile, width: int, table: str) -> None:
    try:
        records = rowwise.read_table(file.path, width)
    except (OSError, EOFError):
        raise UnreadableFile(file.name, "not readable (a damaged compressed file?)") from None
    con.register("records_read", records)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM records_read")
    finally:
        con.unregister("records_read")


def _source_sql(file: FeedFile, header: Header, positions: list[str]) -> str:
    path = literal(str(file.path))
    if file.is_parquet:
        cells = [
            _parquet_cell(name, f"c{i}", header.columns.get(i), file.feed)
            for i, name in enumerate(header.names)
        ]
        return (
            f"SELECT {', '.join(cells)}, NULL::VARCHAR AS _overflow, NULL::VARCHAR AS _problem"
            f" FROM read_parquet({path})"
        )
    if not positions:
        return "SELECT NULL::VARCHAR AS _overflow, NULL::VARCHAR AS _problem WHERE false"
    # Room for as many fields again as the header has: a longer row is caught, not misread. An
    # empty field reads as '' (nullstr is a byte no file holds), so NULL is a field not sent.
    spare = [f"x{i}" for i in range(len(positions) + 1)]
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in positions + spare)
    overflow = f"concat_ws(',', {', '.join(spare)})"
    compression = "'gzip'" if file.is_gzip else "'none'"
    problem = (
        f"CASE WHEN {positions[-1]} IS NULL OR x0 IS NOT NULL"
        f" THEN {literal(rowwise.FIELD_COUNT)} END"
    )
    return (
        f"SELECT {', '.join(positions)}, CASE WHEN x0 IS NOT NULL THEN {overflow} END AS _overflow,"
        f" {problem} AS _problem FROM read_csv({path}, header = false, skip = 1,"
        f" columns = {{{columns}}}, auto_detect = false, delim = ',', quote = '\"',"
        f" escape = '\"', null_padding = true, nullstr = '\x01', compression = {compression})"
    )


def _parquet_cell(name: str, position: str, column: str | None, feed: Feed) -> str:
    """A Parquet value as the text a CSV would hold: ISO date-times with a 'T', and a date column
    written as midnight time stamps (pandas' default) as its dates."""
    cell = quote(name)
    stamp = f"TRY_CAST({cell} AS TIMESTAMP)"
    text = f"strftime({stamp}, '%Y-%m-%dT%H:%M:%S')"
    if column is not None and feed.column(column).base_type == "date":
        text = f"CASE WHEN CAST({stamp} AS TIME) = TIME '00:00:00' THEN strftime({stamp}, '%Y-%m-%d') ELSE {text} END"
    return (
        f"CASE WHEN typeof({cell}) LIKE 'TIMESTAMP%' THEN {text}"
        f" ELSE CAST({cell} AS VARCHAR) END AS {position}"
    )
