"""Which files land, and how their headers are read."""

from __future__ import annotations

import json
import re

import duckdb
import pytest
from landing_area import (
    AS_OF,
    base_area,
    lineage_sql,
    query,
    query_with_lineage,
    row,
    token,
    write_feed,
)

from joinedup import contract
from joinedup.cli import main
from joinedup.errors import BadInput
from joinedup.landing import load_area, load_paths, opened


def test_header_names_match_case_insensitively_in_any_order_with_a_bom_and_extra_columns(
    tmp_path, stores
):
    folder = tmp_path / "area"
    names = list(reversed(contract.feed("acute_apc").column_names))
    header = [f"  {n.upper()} " for n in names] + ["notes"]
    path = write_feed(
        folder / "acute_apc.csv",
        "acute_apc",
        [row("acute_apc", "ann", spell_id="S1", notes="seen at home")],
        header=header,
    )
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    summary = load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    assert summary.rows_accepted == 1
    assert query(stores["warehouse"], "SELECT spell_id, admission_date FROM acute_apc") == [
        (token(stores, "S1"), AS_OF.replace(year=2014, month=5, day=1))
    ]
    ((extra,),) = query(stores["warehouse"], "SELECT extra_columns FROM load_files")
    assert len(extra) == 1 and re.fullmatch(r"column 21 #[0-9a-f]{8}", extra[0])  # not "notes"
    kept = query(stores["vault"], "SELECT line, kind, raw_values FROM quarantine")
    assert kept == [(2, "extra_columns", '{"notes":"seen at home"}')]


def test_a_row_with_more_fields_than_the_header_is_rejected_not_misread(tmp_path, stores):
    folder = tmp_path / "area"
    path = write_feed(folder / "deaths.csv", "deaths", [row("deaths", "ann"), row("deaths", "bob")])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1] + ",HOME,extra", lines[2]]) + "\n")
    with opened(stores["warehouse"], stores["vault"]) as (con, vault):  # the stage on open stores
        summary = load_area(folder, con, vault, AS_OF, progress=False)
    assert (summary.rows_read, summary.rows_rejected) == (2, 1)
    shape = summary.to_dict()  # the one shape, JSON as it is
    assert json.loads(json.dumps(shape)) == shape and shape["rows_rejected"] == 1
    assert shape["files"] == [f.to_dict() for f in summary.files] and shape["skipped_files"] == []
    assert list(shape["files"][0]) == [
        "file", "feed", "status", "problem", "extra_columns",
        "rows_read", "rows_accepted", "rows_rejected",
    ]  # fmt: skip
    assert query(stores["warehouse"], "SELECT line, column_name, rule FROM rejections") == [
        (2, "_fields", "field_count")
    ]


def test_a_header_naming_a_column_twice_rejects_the_file(tmp_path, stores):
    folder = tmp_path / "area"
    header = [*contract.feed("deaths").column_names, "Place_Of_Death"]
    write_feed(folder / "deaths.csv", "deaths", [row("deaths", "ann")], header=header)
    summary = load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    assert summary.files[0].status == "rejected"
    assert summary.files[0].problem == "column place_of_death named twice"


def test_a_header_lacking_a_required_column_rejects_the_file_and_the_rest_still_lands(
    tmp_path, stores
):
    folder = base_area(tmp_path / "area")
    names = [n for n in contract.feed("acute_ae").column_names if n != "disposal"]
    write_feed(
        folder / "acute_ae.csv",
        "acute_ae",
        [row("acute_ae", "ann", attendance_id=f"A{i}") for i in range(3)],
        header=names,
    )
    summary = load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    outcome = next(f for f in summary.files if f.feed == "acute_ae")
    assert outcome.status == "rejected"
    assert outcome.problem == "missing required column disposal"
    assert (outcome.rows_read, outcome.rows_accepted, outcome.rows_rejected) == (3, 0, 3)
    assert query(stores["warehouse"], "SELECT DISTINCT column_name, rule FROM rejections") == [
        ("disposal", "missing_column")
    ]
    assert query(stores["warehouse"], "SELECT count(*) FROM acute_ae") == [(0,)]
    assert query(stores["warehouse"], "SELECT count(*) FROM acute_apc") == [(2,)]


def test_a_missing_optional_column_is_an_empty_one(tmp_path, stores):
    folder = tmp_path / "area"
    names = [n for n in contract.feed("acute_apc").column_names if n != "hrg_code"]
    write_feed(folder / "acute_apc.csv", "acute_apc", [row("acute_apc", "ann")], header=names)
    load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    assert query(stores["warehouse"], "SELECT hrg_code FROM acute_apc") == [(None,)]


def test_parquet_and_monthly_folders_land_like_csv(tmp_path, stores):
    folder = tmp_path / "area"
    csv_path = write_feed(
        tmp_path / "ae.csv",
        "acute_ae",
        [
            row(
                "acute_ae",
                "ann",
                attendance_id="A1",
                arrival_datetime="2014-05-01T10:00",
                departure_datetime="2014-05-01T11:30:00",
            ),
            row("acute_ae", "bob", attendance_id="A2", arrival_mode="7"),
        ],
    )
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE (CAST(arrival_datetime AS TIMESTAMP) AS arrival_datetime)"
            f" FROM read_csv('{csv_path}', all_varchar = true))"
            f" TO '{folder / 'acute_ae.parquet'}' (FORMAT parquet)"
        )
    write_feed(folder / "deaths" / "2014-05.csv", "deaths", [row("deaths", "cat")])
    write_feed(folder / "deaths" / "2014-06.csv", "deaths", [row("deaths", "bob")])
    load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    assert query(
        stores["warehouse"],
        "SELECT attendance_id, CAST(arrival_datetime AS VARCHAR),"
        " CAST(departure_datetime AS VARCHAR) FROM acute_ae",
    ) == [(token(stores, "A1"), "2014-05-01 10:00:00", "2014-05-01 11:30:00")]
    assert query(stores["warehouse"], "SELECT file, line, column_name, rule FROM rejections") == [
        ("acute_ae.parquet", 3, "arrival_mode", "invalid_code")
    ]
    assert query_with_lineage(stores, lineage_sql("deaths", "l.file") + " ORDER BY 1") == [
        ("deaths/2014-05.csv",),
        ("deaths/2014-06.csv",),
    ]


def test_a_folder_without_contract_files_is_bad_input(tmp_path, stores):
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "notes.csv").write_text("a\n1\n")
    with pytest.raises(BadInput, match="no file named after a contract feed"):
        load_paths(tmp_path / "area", stores["warehouse"], stores["vault"], AS_OF, False)


def test_load_command_reports_a_missing_folder_in_one_line(tmp_path, stores, capsys):
    code = main(["load", str(tmp_path / "nowhere"), "--warehouse", str(stores["warehouse"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "nowhere" in err[0]


def test_an_unreadable_record_is_rejected_and_the_rest_of_the_file_lands(tmp_path, stores):
    folder = base_area(tmp_path / "area")
    path = write_feed(folder / "deaths.csv", "deaths", [row("deaths", "ann")])
    path.write_bytes(path.read_bytes() + b'"unterminated,\xff\n')
    summary = load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    deaths = next(f for f in summary.files if f.feed == "deaths")
    assert (deaths.status, deaths.rows_read, deaths.rows_accepted) == ("loaded", 2, 1)
    assert query(
        stores["warehouse"], "SELECT line, column_name, rule FROM rejections WHERE feed = 'deaths'"
    ) == [(3, "_record", "unbalanced_quote")]
