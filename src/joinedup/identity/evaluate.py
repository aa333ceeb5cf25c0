"""Linkage quality against a generated area's truth: for the rows that lack a valid NHS number,
and overall.

The true person of every landed row is known (truth/row_person.csv). For the rows the generator
left without a valid NHS number (`missing_nhs_number` or `mistyped_nhs_number` in
truth/flaws.csv), a true person's pseudo_id is the one holding most of their rows that had a valid
NHS number, and a flawed row is linked when its pseudo_id is one such rows carry:

- precision: of the flawed rows linked, the share linked to their own true person;
- recall: of the flawed rows whose true person is otherwise known, the share linked to them.

Overall, every row counts: a pseudo_id belongs to the true person with most rows on it, and a
true person's pseudo_id is the one holding most of their rows.

- precision: the share of rows on a pseudo_id that belongs to their own person (the others are
  false merges);
- recall: the share of rows on their own person's pseudo_id (the others are missed links).

`errors` lists every false merge and missed link (feed, line and the row's flaws as its cause).

Reads only pseudo_ids from the warehouse, each row's file and line from the vault's lineage, and
person ids from the truth folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.errors import BadInput
from joinedup.identity import probabilistic
from joinedup.identity.vault import PARAMETERS_VARIABLE, Vault
from joinedup.warehouse import store

NHS_FLAWS = ("missing_nhs_number", "mistyped_nhs_number")

QUALITY_SQL = """
WITH anchored AS (
    SELECT person_id, pseudo_id, row_number() OVER (
        PARTITION BY person_id ORDER BY count(*) DESC, pseudo_id) AS rank
    FROM labelled WHERE has_nhs_column AND NOT flawed
    GROUP BY person_id, pseudo_id
), known_ids AS (
    SELECT DISTINCT pseudo_id FROM labelled WHERE has_nhs_column AND NOT flawed
), judged AS (
    SELECT l.feed, l.line, l.pseudo_id = a.pseudo_id AS right_person,
        a.pseudo_id IS NOT NULL AS otherwise_known,
        EXISTS (SELECT 1 FROM known_ids k WHERE k.pseudo_id = l.pseudo_id) AS linked
    FROM labelled l LEFT JOIN anchored a ON a.person_id = l.person_id AND a.rank = 1
    WHERE l.flawed
)
SELECT * FROM judged
"""

SUBSET_COUNTS_SQL = """
SELECT count(*) AS rows_without_valid_nhs_number,
    count(*) FILTER (WHERE linked) AS links_made,
    count(*) FILTER (WHERE linked AND right_person) AS right_links,
    count(*) FILTER (WHERE otherwise_known) AS person_otherwise_known,
    count(*) FILTER (WHERE otherwise_known AND right_person) AS linked_to_their_person
FROM judged
"""

OVERALL_SQL = """
WITH counted AS (
    SELECT pseudo_id, person_id, count(*) AS n FROM labelled GROUP BY pseudo_id, person_id
), owners AS (
    SELECT pseudo_id, person_id AS owner FROM counted
    QUALIFY row_number() OVER (PARTITION BY pseudo_id ORDER BY n DESC, person_id) = 1
), anchors AS (
    SELECT person_id, pseudo_id AS anchor FROM counted
    QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY n DESC, pseudo_id) = 1
)
SELECT l.feed, l.line, o.owner = l.person_id AS own_pseudo_id, a.anchor = l.pseudo_id AS on_anchor
FROM labelled l JOIN owners o USING (pseudo_id) JOIN anchors a USING (person_id)
"""

ERRORS_SQL = """
WITH errors AS (
    SELECT 'rows without a valid NHS number' AS scope, 'false merge' AS error, feed, line
    FROM judged WHERE linked AND NOT right_person
    UNION ALL
    SELECT 'rows without a valid NHS number', 'missed link', feed, line
    FROM judged WHERE otherwise_known AND NOT coalesce(right_person, false)
    UNION ALL
    SELECT 'overall', 'false merge', feed, line FROM overall WHERE NOT own_pseudo_id
    UNION ALL
    SELECT 'overall', 'missed link', feed, line FROM overall WHERE NOT on_anchor
)
SELECT e.scope, e.error, e.feed, e.line,
    coalesce(string_agg(f.flaw, '+' ORDER BY f.flaw), 'no flaw') AS cause
FROM errors e LEFT JOIN flaws f ON f.feed = e.feed AND f.line = e.line
GROUP BY ALL ORDER BY ALL
"""


def linkage_quality(
    warehouse_path: str | Path, vault_path: str | Path, truth_dir: str | Path
) -> dict:
    """Precision and recall of linkage for rows without a valid NHS number (see module doc)."""
    from joinedup.landing.lineage import landed_lineage

    with Vault.open(vault_path, must_exist=True) as vault, store.reading(warehouse_path) as con:
        con.execute("SET enable_progress_bar = false")
        _read_truth(con, Path(truth_dir))
        con.register("lineage_rows", landed_lineage(con, vault, Path(warehouse_path)))
        con.execute(f"CREATE TEMP TABLE landed AS {_landed_rows_sql(con)}")
        con.execute(f"CREATE TEMP TABLE labelled AS {LABELLED_SQL}")
        con.execute(f"CREATE TEMP TABLE judged AS {QUALITY_SQL}")
        con.execute(f"CREATE TEMP TABLE overall AS {OVERALL_SQL}")
        counts = _first_row(con, SUBSET_COUNTS_SQL)
        overall = _first_row(
            con,
            "SELECT count(*) AS rows, count(*) FILTER (WHERE own_pseudo_id) AS own,"
            " count(*) FILTER (WHERE on_anchor) AS anchored FROM overall",
        )
        errors = _rows(con, ERRORS_SQL)
    counts["precision"] = _share(counts["right_links"], counts["links_made"])
    counts["recall"] = _share(counts["linked_to_their_person"], counts["person_otherwise_known"])
    counts["overall"] = {
        "rows": overall["rows"],
        "precision": _share(overall["own"], overall["rows"]),
        "recall": _share(overall["anchored"], overall["rows"]),
    }
    counts["errors"] = errors
    return counts


LABELLED_SQL = """
SELECT r.feed, r.line, r.pseudo_id, r.has_nhs_column, t.person_id,
    EXISTS (SELECT 1 FROM nhs_flaws f WHERE f.feed = r.feed AND f.line = r.line) AS flawed
FROM landed r JOIN row_person t ON t.feed = r.feed AND t.line = r.line
"""


def compare_models(area: Path, work: Path) -> dict[str, dict]:
    """Land the generated area in `area` once per parameter set of the probabilistic model
    (fixed, estimated), into scratch stores under `work`, and measure each against the truth."""
    from joinedup.landing import load_paths

    results = {}
    for parameters in probabilistic.PARAMETERS:
        folder = work / parameters
        folder.mkdir(parents=True, exist_ok=True)
        with _linkage_parameters(parameters):
            load_paths(area, folder / "warehouse.duckdb", folder / "vault.duckdb", progress=False)
        quality = linkage_quality(
            folder / "warehouse.duckdb", folder / "vault.duckdb", area / "truth"
        )
        results[parameters] = {
            "rows_without_valid_nhs_number": quality["rows_without_valid_nhs_number"],
            "precision": quality["precision"],
            "recall": quality["recall"],
            "overall": quality["overall"],
        }
    return results


@contextmanager
def _linkage_parameters(parameters: str) -> Iterator[None]:
    """Landing resolves with the parameters $JOINEDUP_LINKAGE_PARAMETERS names (see resolve)."""
    before = os.environ.get(PARAMETERS_VARIABLE)
    os.environ[PARAMETERS_VARIABLE] = parameters
    try:
        yield
    finally:
        if before is None:
            del os.environ[PARAMETERS_VARIABLE]
        else:
            os.environ[PARAMETERS_VARIABLE] = before


def _first_row(con: duckdb.DuckDBPyConnection, sql: str) -> dict:
    return _rows(con, sql)[0]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def errors_by_cause(errors: list[dict]) -> dict[tuple[str, str, str], int]:
    """(scope, error, cause) -> rows, from linkage_quality's errors."""
    counts: dict[tuple[str, str, str], int] = {}
    for e in errors:
        key = (e["scope"], e["error"], e["cause"])
        counts[key] = counts.get(key, 0) + 1
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
    if not con.execute("SELECT count(*) FROM lineage_rows").fetchone()[0]:
        raise BadInput("the warehouse has no landed person-level rows to evaluate")
    with_nhs = ", ".join(
        f"'{f.name}'" for f in contract.feeds().values() if "nhs_number" in f.column_names
    )
    return f"SELECT feed, line, pseudo_id, feed IN ({with_nhs}) AS has_nhs_column FROM lineage_rows"
