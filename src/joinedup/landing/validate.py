"""Applying the contract's rules to one staged file: which lines fail, and why.

Produces, for a raw file table (c0, c1, ... in file order), a table of reasons (line, column_name,
rule), one row per rule a line breaks. The SQL is written once and runs on either engine (DuckDB,
or Spark through the engine seam: `engine/landing.py`); only the raw table's line differs (DuckDB's
row number, or a `_line` column the reader wrote). A file whose header is not acceptable (none, a required
column missing, one named twice or misspelt) is rejected whole: every line carries that reason.
"""

from __future__ import annotations

import datetime as dt

from joinedup.contract import Feed
from joinedup.engine import engine_of
from joinedup.landing.files import Header
from joinedup.landing.rules import feed_rules, literal, quote

SEPARATOR = "#"  # between column and rule in a reason; no contract column or rule contains it
BLANKS = "' ' || chr(9) || chr(13) || chr(10)"  # trimmed around every value: senders pad with tabs as well as spaces
OVERFLOW_KEY = "'_fields_beyond_header'"
LINE_SQL = "rowid + 2"  # a DuckDB raw table's record number, the header being line 1


def staged_sql(feed: Feed, header: Header, raw: str, line: str = LINE_SQL) -> str:
    """The raw rows with their line, each contract column trimmed, an empty cell as NULL."""
    by_name = {name: position for position, name in header.columns.items()}
    cells = [
        f"{_trimmed_sql(f'c{by_name[c]}')} AS {quote(c)}"
        if c in by_name
        else f"CAST(NULL AS VARCHAR) AS {quote(c)}"
        for c in feed.column_names
    ]
    return f"SELECT {line} AS _line, _overflow, _problem, {', '.join(cells)} FROM {raw}"


def _trimmed_sql(cell: str) -> str:
    """The cell without BLANKS around it, NULL when empty. Trimmed only when its first or last
    character is a space or below: a trim by a set of characters costs several plain reads of
    the cell, and most cells have nothing to trim."""
    edges = f"ascii({cell}) <= 32 OR ascii(reverse({cell})) <= 32"
    return f"NULLIF(CASE WHEN {edges} THEN trim({cell}, {BLANKS}) ELSE {cell} END, '')"


def raw_values_sql(header: Header) -> str:
    """The row as sent, as a JSON object keyed by the file's own column names (for quarantine)."""
    pairs = [f"{literal(name)}, c{i}" for i, name in enumerate(header.names)]
    return f"json_object({', '.join(pairs + [OVERFLOW_KEY + ', _overflow'])})"


def extra_values_sql(header: Header) -> str:
    """The cells of the columns the contract does not name, as a JSON object (kept aside)."""
    pairs = [
        f"{literal(name)}, c{i}" for i, name in enumerate(header.names) if i not in header.columns
    ]
    return f"json_object({', '.join(pairs)})"


def find_reasons(
    con, feed: Feed, header: Header, raw: str, as_of: dt.date, table: str, line: str = LINE_SQL
) -> None:
    """Create temp table `table` (line, column_name, rule) for the staged rows of `raw`, on a
    DuckDB connection or an Engine."""
    if header.acceptable:
        reasons = _rule_reasons_sql(feed, staged_sql(feed, header, raw, line), as_of)
    else:
        reasons = _whole_file_reasons_sql(header, raw, line)
    engine_of(con).execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT line,"
        f" split_part(reason, '{SEPARATOR}', 1) AS column_name,"
        f" split_part(reason, '{SEPARATOR}', 2) AS rule FROM ({reasons}) found"
    )


def _rule_reasons_sql(feed: Feed, staged: str, as_of: dt.date) -> str:
    rules = feed_rules(feed, as_of)
    checks = [
        f"CASE WHEN {r.failed_sql} THEN {literal(r.column + SEPARATOR + r.rule)} END AS r{i}"
        for i, r in enumerate(rules)
    ]
    names = ", ".join(f"r{i}" for i in range(len(checks)))
    checks = ", ".join(checks)
    # UNPIVOT (the standard form, which DuckDB and Spark share) leaves out the NULLs: one row
    # per rule a line breaks. A record that is not a row (too few or too many fields,
    # unreadable) has that one reason.
    return (
        f"SELECT line, reason FROM (SELECT _line AS line, {checks} FROM ({staged}) s"
        f" WHERE _problem IS NULL) c UNPIVOT (reason FOR check_name IN ({names})) unpivoted"
        f" UNION ALL SELECT _line, _problem FROM ({staged}) s WHERE _problem IS NOT NULL"
    )


def _whole_file_reasons_sql(header: Header, raw: str, line: str) -> str:
    problems = [(c, rule) for c, rule, _ in header.problems()]
    values = ", ".join(f"({literal(c + SEPARATOR + rule)})" for c, rule in problems)
    return (
        f"SELECT r.{line} AS line, p.reason FROM {raw} r"
        f" CROSS JOIN (VALUES {values}) AS p(reason)"
    )
