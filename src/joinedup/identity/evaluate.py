"""Linkage quality against a generated area's truth, for the rows that lack a valid NHS number.

For each landed row the generator flagged `missing_nhs_number` or `mistyped_nhs_number`
(truth/flaws.csv), its true person is known (truth/row_person.csv). A true person's pseudo_id is
the one holding most of their rows that had a valid NHS number. A flawed row is linked when its
pseudo_id is one that rows with valid NHS numbers carry.

- precision: of the flawed rows linked, the share linked to their own true person;
- recall: of the flawed rows whose true person is otherwise known, the share linked to them.

Reads only pseudo_ids and lineage from the warehouse and person ids from the truth folder.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.errors import BadInput
from joinedup.warehouse import store

NHS_FLAWS = ("missing_nhs_number", "mistyped_nhs_number")

QUALITY_SQL = """
WITH labelled AS (
    SELECT r.feed, r.line, r.pseudo_id, r.has_nhs_column, t.person_id,
        EXISTS (SELECT 1 FROM nhs_flaws f WHERE f.feed = r.feed AND f.line = r.line) AS flawed
    FROM landed r JOIN row_person t ON t.feed = r.feed AND t.line = r.line
), anchored AS (
    SELECT person_id, pseudo_id, row_number() OVER (
        PARTITION BY person_id ORDER BY count(*) DESC, pseudo_id) AS rank
    FROM labelled WHERE has_nhs_column AND NOT flawed
    GROUP BY person_id, pseudo_id
), known_ids AS (
    SELECT DISTINCT pseudo_id FROM labelled WHERE has_nhs_column AND NOT flawed
), judged AS (
    SELECT l.pseudo_id = a.pseudo_id AS right_person,
        a.pseudo_id IS NOT NULL AS otherwise_known,
        EXISTS (SELECT 1 FROM known_ids k WHERE k.pseudo_id = l.pseudo_id) AS linked
    FROM labelled l LEFT JOIN anchored a ON a.person_id = l.person_id AND a.rank = 1
    WHERE l.flawed
)
SELECT count(*) AS rows_without_valid_nhs_number,
    count(*) FILTER (WHERE linked) AS links_made,
    count(*) FILTER (WHERE linked AND right_person) AS right_links,
    count(*) FILTER (WHERE otherwise_known) AS person_otherwise_known,
    count(*) FILTER (WHERE otherwise_known AND right_person) AS linked_to_their_person
FROM judged
"""


def linkage_quality(warehouse_path: str | Path, truth_dir: str | Path) -> dict:
    """Precision and recall of linkage for rows without a valid NHS number (see module doc)."""
    with store.reading(warehouse_path) as con:
        con.execute("SET enable_progress_bar = false")
        _read_truth(con, Path(truth_dir))
        con.execute(f"CREATE TEMP TABLE landed AS {_landed_rows_sql(con)}")
        result = con.execute(QUALITY_SQL)
        values = result.fetchall()[0]
        counts = dict(zip([d[0] for d in result.description], values, strict=True))
    counts["precision"] = _share(counts["right_links"], counts["links_made"])
    counts["recall"] = _share(counts["linked_to_their_person"], counts["person_otherwise_known"])
    return counts


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _read_truth(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> None:
    for name, columns in (
        ("row_person", "{'feed': 'VARCHAR', 'line': 'BIGINT', 'person_id': 'VARCHAR'}"),
        ("flaws", "{'feed': 'VARCHAR', 'line': 'BIGINT', 'flaw': 'VARCHAR'}"),
    ):
        path = truth_dir / f"{name}.csv"
        if not path.exists():
            raise BadInput(f"{path}: missing (expected the generator's truth folder)")
        con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT * FROM read_csv(?, header = true, "
            f"columns = {columns})",
            [str(path)],
        )
    flaws = ", ".join(f"'{flaw}'" for flaw in NHS_FLAWS)
    con.execute(
        f"CREATE TEMP TABLE nhs_flaws AS SELECT DISTINCT feed, line FROM flaws "
        f"WHERE flaw IN ({flaws})"
    )


def _landed_rows_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Every landed person-level row as (feed, line, pseudo_id, has_nhs_column)."""
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'main'"
            " GROUP BY table_name HAVING count(*) FILTER (WHERE column_name IN"
            " ('pseudo_id', '_source_file', '_source_line')) = 3"
        ).fetchall()
    }
    parts = [
        f"SELECT '{feed.name}' AS feed, _source_line AS line, pseudo_id, "
        f"{'nhs_number' in feed.column_names} AS has_nhs_column FROM {feed.name}"
        for feed in contract.feeds().values()
        if feed.name in tables
    ]
    if not parts:
        raise BadInput("the warehouse has no landed person-level rows to evaluate")
    return " UNION ALL ".join(parts)
