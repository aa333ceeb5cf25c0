import duckdb

from joinedup import contract
from joinedup.warehouse import schema


def test_no_identifying_column_reaches_a_warehouse_table():
    identifying = {"nhs_number", "given_name", "family_name", "date_of_birth", "postcode",
                   "la_person_id"}
    for feed in contract.feeds().values():
        names = {n for n, _ in schema.warehouse_columns(feed)}
        assert not names & identifying, feed.name


def test_person_tables_gain_pseudo_id_ages_geography_and_lineage():
    columns = dict(schema.warehouse_columns(contract.feed("acute_apc")))
    assert columns["pseudo_id"] == "INTEGER"  # the person's number; `pseudonyms` gives the pseudonym
    assert columns["admission_date"] == "DATE"
    assert columns["spell_cost"] == "DOUBLE"
    assert columns["age_at_admission_date"] == "INTEGER"
    assert columns["age_at_discharge_date"] == "INTEGER"
    assert columns["postcode_in_area"] == "BOOLEAN"
    assert "_row_id" in columns and "_load_id" in columns
    assert not set(schema.RETIRED_COLUMNS) & set(columns)  # the vault holds file and line
    deaths = dict(schema.warehouse_columns(contract.feed("deaths")))
    assert "age_at_date_of_death" in deaths and "lsoa_code" not in deaths


def test_every_table_can_be_created_in_duckdb():
    con = duckdb.connect()
    schema.create_all(con)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"acute_apc", "geography", "population", "person", "social_care_events"} <= tables
    assert "postcode_lookup" not in tables


def test_a_warehouse_made_before_loses_its_source_file_and_line_columns():
    con = duckdb.connect()
    con.execute("CREATE TABLE deaths (pseudo_id VARCHAR, _source_file VARCHAR, _source_line BIGINT)")
    con.execute("INSERT INTO deaths VALUES ('p1', 'deaths.csv', 2)")
    schema.create_all(con)
    assert con.execute("SELECT * FROM deaths").fetchall() == [(1,)]  # numbered, as a load does
    assert con.execute("SELECT * FROM pseudonyms").fetchall() == [(1, "p1")]
