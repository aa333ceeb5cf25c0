"""`joinedup load --engine spark` (conftest's `generated`): the generated area, its checks on
Spark and its probabilistic linkage on Splink's Spark backend, landed into a Parquet warehouse
folder, rejects the same rows, links every record to the same person with the same match weight,
holds the same pairs for review and writes the same warehouse, table for table, as the DuckDB
load (its marts, metrics, report and risk scores on Spark: test_same_answers.py,
test_risk_on_spark.py). A second load replaces rows by key as on DuckDB, into a new snapshot;
a load killed while it writes its snapshot leaves the one before."""

import shutil
import subprocess
import sys
import time

import duckdb
import pytest
from spark_area import GENERATED_AS_OF
from test_same_answers import same_row

from joinedup.cli import main
from joinedup.engine.parquet import POINTER, SNAPSHOTS, open_in_duckdb
from joinedup.identity.vault import BINDING_TABLE
from joinedup.landing import write
from joinedup.marts.build import MART_KEYS
from joinedup.warehouse import store

VAULT_TABLES = {  # the vault's answers, in a fixed order (timestamps left out)
    "identifier_records": "record_id, person_key, link_method, match_weight",
    "people": "person_key, nhs_number, given_name, family_name, date_of_birth, sex, postcode, merged_into",
    "review_queue": "review_id, record_id, candidate_person_key, provisional_person_key, match_weight, match_probability, status",
}
# A load's own values: its times, and its vault's id (the keys' fingerprints compared).
OWN = {"loads": "started_at, finished_at", "store_binding": "vault_id"}
RESENT = 40  # A&E attendances sent again by the second load, each with another cost
QUOTE = '"'


def load_tables() -> list[str]:
    """The tables a load writes."""
    with duckdb.connect() as con:
        write.create_tables(con)
        return sorted({t for (t,) in con.execute("SHOW TABLES").fetchall()} | {BINDING_TABLE})


def rows(con, table: str, columns: str = "*") -> list[tuple]:
    return con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()


def spark_vault(folder):
    return folder.parent / "spark-vault" / "v.duckdb"


def assert_same_vault(duck_vault, spark_vault) -> None:
    with store.reading(duck_vault, "store") as duck, store.reading(spark_vault, "store") as spark:
        for table, columns in VAULT_TABLES.items():
            expected, found = rows(duck, table, columns), rows(spark, table, columns)
            assert len(found) == len(expected), table
            different = [(a, b) for a, b in zip(expected, found, strict=True) if not same_row(a, b)]
            assert not different, f"{table}: {len(different)} rows differ"


def assert_same_warehouse(warehouse, folder) -> None:
    """Every table a load writes, row for row (pseudonyms included)."""
    spark = open_in_duckdb(folder)  # the current snapshot, read by DuckDB
    with store.reading(warehouse) as duck:
        for table in load_tables():
            columns = f"* EXCLUDE ({OWN[table]})" if table in OWN else "*"
            expected, found = rows(duck, table, columns), rows(spark, table, columns)
            assert len(found) == len(expected), table
            assert all(same_row(a, b) for a, b in zip(expected, found, strict=True)), table


def test_every_record_links_to_the_same_person_with_the_same_weight(generated):
    warehouse, folder = generated
    assert_same_vault(warehouse.with_name("v.duckdb"), spark_vault(folder))
    with store.reading(spark_vault(folder), "store") as con:
        methods = {
            method
            for (method,) in con.execute("SELECT link_method FROM identifier_records").fetchall()
        }
    assert "probabilistic" in methods  # Splink on Spark decided some records


def test_the_warehouse_folder_holds_the_same_tables_as_the_file(generated):
    warehouse, folder = generated
    assert (folder / POINTER).read_text().strip() == "000001"
    assert sorted(p.name for p in (folder / SNAPSHOTS).iterdir()) == ["000001"]
    with store.reading(warehouse) as duck:
        in_file = {t for (t,) in duck.execute("SHOW TABLES").fetchall()}
    # the same tables (the stages since have written the same to both): none of the load's own
    # temporary tables (raw records, identity's answers) reached the folder
    assert open_in_duckdb(folder).tables() == in_file
    assert_same_warehouse(warehouse, folder)


def resend(area, out) -> int:
    """A second area in `out`: the first RESENT A&E attendances sent again, each cost (where
    there is one) 9000 higher; how many attendances it sends (the generator sends some twice)."""
    out.mkdir()
    lines = (area / "acute_ae.csv").read_text().splitlines()
    sent = [lines[0]]
    for line in lines[1 : RESENT + 1]:
        head, cost = line.rsplit(",", 1)
        sent.append(f'{head},"{float(cost.strip(QUOTE)) + 9000:.2f}"' if cost else line)
    (out / "acute_ae.csv").write_text("\n".join(sent) + "\n")
    return len({line.split(",")[6] for line in sent[1:]})  # attendance_id


def copies(generated, root):
    """The two warehouses and their vaults (with their keys), copied under `root`."""
    warehouse, folder = generated
    duck, spark = root / "duck", root / "spark"
    duck.mkdir()
    for name in ("w.duckdb", "v.duckdb", "v.duckdb.key", "v.duckdb.rowkey"):
        shutil.copy(warehouse.with_name(name), duck / name)
    shutil.copytree(folder, spark / "w.parquet", ignore=shutil.ignore_patterns("_lock"))
    shutil.copytree(spark_vault(folder).parent, spark / "spark-vault")
    return duck / "w.duckdb", spark / "w.parquet"


def killed_load(area, folder):
    """`joinedup load` (on DuckDB, into the Parquet folder: the same snapshot writer) run in
    its own process and killed (SIGKILL) as soon as its snapshot's folder appears."""
    argv = [sys.executable, "-m", "joinedup.cli", "load", str(area), "--warehouse", str(folder),
            "--vault", str(spark_vault(folder)), "--as-of", GENERATED_AS_OF.isoformat(), "--quiet"]  # fmt: skip
    snapshot = folder / SNAPSHOTS / "000002"
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not snapshot.exists():
        time.sleep(0.001)
    process.kill()
    return process.wait()


def test_a_second_load_replaces_by_key_as_on_duckdb_and_a_killed_one_changes_nothing(
    marts_on_both, tmp_path
):
    warehouse, folder = copies(marts_on_both, tmp_path)
    second = tmp_path / "second"
    attendances = resend(marts_on_both[0].parent / "area", second)
    before = {t: rows(open_in_duckdb(folder), t) for t in ("acute_ae", "loads", "person")}

    assert killed_load(second, folder) == -9  # killed part way through writing its snapshot
    assert (folder / SNAPSHOTS / "000002").is_dir() and (folder / POINTER).read_text() == "000001\n"
    assert {t: rows(open_in_duckdb(folder), t) for t in before} == before

    stores = ["--as-of", GENERATED_AS_OF.isoformat(), "--quiet"]
    duck = ["--warehouse", str(warehouse), "--vault", str(warehouse.with_name("v.duckdb"))]
    assert main(["load", str(second), *duck, *stores]) == 0
    argv = ["load", str(second), "--warehouse", str(folder), "--vault", str(spark_vault(folder))]
    assert main([*argv, *stores, "--engine", "spark"]) == 0
    # the killed load's snapshot was discarded, and this one took its number
    assert (folder / POINTER).read_text() == "000002\n"
    assert sorted(p.name for p in (folder / SNAPSHOTS).iterdir()) == ["000001", "000002"]
    assert_same_vault(warehouse.with_name("v.duckdb"), spark_vault(folder))
    assert_same_warehouse(warehouse, folder)
    after = open_in_duckdb(folder)
    assert len(rows(after, "acute_ae")) == len(before["acute_ae"])  # replaced, not added
    costs = after.execute(
        "SELECT count(*), count(*) FILTER (WHERE attendance_cost >= 9000),"
        " count(*) FILTER (WHERE attendance_cost < 9000) FROM acute_ae WHERE _load_id = 2"
    ).fetchone()
    assert costs[0] == attendances and costs[1] > RESENT // 2 and costs[2] == 0
    with store.reading(warehouse) as duck:  # the marts (built before) carried over
        assert after.tables() == {t for (t,) in duck.execute("SHOW TABLES").fetchall()}
    assert set(MART_KEYS) <= after.tables()


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
