"""Reading a CSV record by record, for a file DuckDB's fast reader gives up on.

One bad record (an unbalanced quote, a byte that is not UTF-8, a record over 2 MB, mixed line
endings, a malformed quote) must not cost the file: each physical record becomes a row of the raw
table, and a record that cannot be read carries its reason (`_problem`, "column#rule") instead of
cells. Only called where the fast reader failed, so a clean file never pays for it. This module
reads identifiable values: it never logs one.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

MAX_RECORD_BYTES = 2 * 1024 * 1024  # DuckDB's own line limit: a longer record is not a row
csv.field_size_limit(MAX_RECORD_BYTES + 1)

UNBALANCED_QUOTE = "_record#unbalanced_quote"
NOT_UTF8 = "_record#not_utf8"
TOO_LONG = "_record#record_too_long"
MALFORMED = "_record#malformed_quotes"
FIELD_COUNT = "_fields#field_count"


def open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _records(lines: list[bytes]) -> Iterator[tuple[bytes, str | None]]:
    """Each record (physical lines joined while a quote is open) after the header, or its first
    line with UNBALANCED_QUOTE when the quote never closes within MAX_RECORD_BYTES."""
    i = 1
    while i < len(lines):
        if not lines[i].strip(b"\r\n"):
            i += 1  # a blank line is no record
            continue
        j, quotes, size = i, lines[i].count(b'"'), len(lines[i])
        while quotes % 2 and j + 1 < len(lines) and size <= MAX_RECORD_BYTES:
            j += 1
            quotes += lines[j].count(b'"')
            size += len(lines[j])
        if quotes % 2:
            yield lines[i], UNBALANCED_QUOTE
            i += 1
            continue
        yield b"".join(lines[i : j + 1]), TOO_LONG if size > MAX_RECORD_BYTES else None
        i = j + 1


def _cells(record: bytes, width: int) -> tuple[list[str | None], str | None, str | None]:
    """(cells, overflow, problem) of one record."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        return [None] * width, None, NOT_UTF8
    try:
        cells = next(csv.reader([text.rstrip("\r\n")], strict=True), [])
    except csv.Error:
        return [None] * width, None, MALFORMED
    if len(cells) < width:
        return cells + [None] * (width - len(cells)), None, FIELD_COUNT
    if len(cells) > width:
        return cells[:width], ",".join(cells[width:]), FIELD_COUNT
    return cells, None, None


def count_records(path: Path) -> int:
    with open_bytes(path) as handle:
        return sum(1 for _ in _records(handle.read().splitlines(keepends=True)))


def read_table(path: Path, width: int) -> pa.Table:
    """The raw table of a CSV: c0.. (text), `_overflow` and `_problem`, one row per record."""
    with open_bytes(path) as handle:
        lines = handle.read().splitlines(keepends=True)
    columns: list[list] = [[] for _ in range(width + 2)]
    for record, problem in _records(lines):
        if problem:
            cells, overflow = [None] * width, None
        else:
            cells, overflow, problem = _cells(record, width)
        if problem and problem != FIELD_COUNT:
            # Kept as sent (for the vault's quarantine), in the overflow cell.
            overflow = record[:MAX_RECORD_BYTES].decode("utf-8", "backslashreplace")
        for column, value in zip(columns, [*cells, overflow, problem], strict=True):
            column.append(value)
    names = [f"c{i}" for i in range(width)] + ["_overflow", "_problem"]
    return pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)})
