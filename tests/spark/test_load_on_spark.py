"""`joinedup load --engine spark`: the generated area landed again with its checks on Spark and
its probabilistic linkage on Splink's Spark backend rejects the same rows, links every record to
the same person with the same match weight, holds the same pairs for review, and gives the same
people, pseudonyms, warehouse and metrics as the DuckDB load."""

import json
import os
import shutil

import duckdb
import pytest
from spark_area import GENERATED_AS_OF
from test_same_answers import same_row

from joinedup.cli import main
from joinedup.identity.probabilistic import ENGINE_VARIABLE
from joinedup.warehouse import store

VAULT_TABLES = {  # the vault's answers, in a fixed order (timestamps left out)
    "identifier_records": "record_id, person_key, link_method, match_weight",
    "people": "person_key, nhs_number, given_name, family_name, date_of_birth, sex, postcode, merged_into",
    "review_queue": "review_id, record_id, candidate_person_key, provisional_person_key, match_weight, match_probability, status",
}
# A second load's own values: its times, and its vault's id (the keys' fingerprints compared).
OWN = {"loads": "started_at, finished_at", "store_binding": "vault_id"}


@pytest.fixture(scope="module")
def linked_on_spark(marts_on_both, tmp_path_factory):
    """The generated area landed again by `load --engine spark` (the same keys), and its marts
    built (by DuckDB): (w, v) files."""
    warehouse, _ = marts_on_both
    root = tmp_path_factory.mktemp("load-on-spark")
    for suffix in (".key", ".rowkey"):  # the same keyed functions: the same pseudonyms
        shutil.copy(warehouse.with_name("v.duckdb" + suffix), root / ("v.duckdb" + suffix))
    area, as_of = str(warehouse.parent / "area"), GENERATED_AS_OF.isoformat()
    stores = ["--warehouse", str(root / "w.duckdb"), "--vault", str(root / "v.duckdb")]
    assert main(["load", area, *stores, "--as-of", as_of, "--engine", "spark", "--quiet"]) == 0
    assert ENGINE_VARIABLE not in os.environ  # the linkage's engine was set for the load only
    assert main(["marts", "--warehouse", str(root / "w.duckdb"), "--quiet"]) == 0
    return root / "w.duckdb", root / "v.duckdb"


def rows(path, table: str, columns: str = "*") -> list[tuple]:
    with store.reading(path, what="store") as con:
        return con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()


def test_every_record_links_to_the_same_person_with_the_same_weight(marts_on_both, linked_on_spark):
    duck_vault, spark_vault = marts_on_both[0].with_name("v.duckdb"), linked_on_spark[1]
    for table, columns in VAULT_TABLES.items():
        expected, found = rows(duck_vault, table, columns), rows(spark_vault, table, columns)
        assert len(found) == len(expected), table
        different = [(a, b) for a, b in zip(expected, found, strict=True) if not same_row(a, b)]
        assert not different, f"{table}: {len(different)} rows differ"
    methods = {
        row[2]
        for row in rows(spark_vault, "identifier_records", VAULT_TABLES["identifier_records"])
    }
    assert "probabilistic" in methods  # Splink on Spark decided some records


def test_the_warehouse_its_pseudonyms_and_its_metrics_are_the_same(
    marts_on_both, linked_on_spark, capsys
):
    duck_warehouse, spark_warehouse = marts_on_both[0], linked_on_spark[0]
    with store.reading(spark_warehouse) as con:
        tables = [name for (name,) in con.execute("SHOW TABLES").fetchall()]
    assert {"person", "acute_apc", "linkage_outcomes"} <= set(tables)
    for table in tables:
        columns = f"* EXCLUDE ({OWN[table]})" if table in OWN else "*"
        expected, found = (
            rows(duck_warehouse, table, columns),
            rows(spark_warehouse, table, columns),
        )
        assert len(found) == len(expected), table
        # Doubles to 1e-9: the marts' sums may add the same costs in another order.
        assert all(same_row(a, b) for a, b in zip(expected, found, strict=True)), table
    printed = []
    for warehouse in (duck_warehouse, spark_warehouse):
        assert main(["metrics", "--warehouse", str(warehouse), "--quiet"]) == 0
        printed.append(json.loads(capsys.readouterr().out))
        printed[-1].pop("generated_at")
    assert printed[0] == printed[1]


# Pairs on which Splink's Scala Jaro-Winkler (Apache commons-text) and DuckDB's differ.
UNLIKE_PAIRS = [("ALLOTTAS", "ALLOSTAS"), ("OTOIMOAT", "OTNIMOAT"), ("TEOLEHTB", "TOOLEHTB")]


def test_splinks_string_comparisons_on_spark_are_duckdbs(spark):
    from splink.backends.spark import SparkAPI

    from joinedup.engine.linkage import _same_string_comparisons

    session = spark.newSession()
    SparkAPI(spark_session=session)  # registers the jar's Scala functions
    pairs = [*UNLIKE_PAIRS, ("MARGARET", "MARGRET"), ("SMITH", "SMYTHE"), ("ANN", "ANNE")]
    query = " UNION ALL ".join(
        f"SELECT {i} AS i, {{f}}('{a}', '{b}') AS v" for i, (a, b) in enumerate(pairs)
    )
    scala = dict(session.sql(query.format(f="jaro_winkler")).collect())
    _same_string_comparisons(session)
    with duckdb.connect() as con:
        for function, duckdb_function in (
            ("jaro_winkler", "jaro_winkler_similarity"),
            ("damerau_levenshtein", "damerau_levenshtein"),
        ):
            found = dict(session.sql(query.format(f=function)).collect())
            expected = dict(con.execute(query.format(f=duckdb_function)).fetchall())
            assert found == pytest.approx(expected, abs=1e-12), function
        duck = dict(con.execute(query.format(f="jaro_winkler_similarity")).fetchall())
    assert all(abs(scala[i] - duck[i]) > 0.01 for i in range(len(UNLIKE_PAIRS)))
