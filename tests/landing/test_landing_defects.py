"""Issue 9: each defect found by feeding landing what real senders send, reproduced by a file or
a command, with what is landed, what is rejected (line and rule), what is printed and the exit."""

from __future__ import annotations

import json

from conftest import PEOPLE, base_area, query, row, write_feed

from joinedup import contract
from joinedup.cli import main


def load(area, stores, *extra) -> int:
    argv = ["load", str(area), "--warehouse", str(stores["warehouse"]), "--vault"]
    return main(argv + [str(stores["vault"]), "--as-of", "2015-03-31", *extra])


def identifiers() -> list[str]:
    return [v for person in PEOPLE.values() for v in person.values() if len(v) > 1]


def rejections(stores, file=None) -> list[tuple]:
    sql = "SELECT file, line, column_name, rule FROM rejections"
    if file:
        return query(stores["warehouse"], sql + " WHERE file = ? ORDER BY ALL", [file])
    return query(stores["warehouse"], sql + " ORDER BY ALL")


def load_file(stores, name) -> tuple:
    return query(
        stores["warehouse"],
        "SELECT status, problem, extra_columns, rows_read, rows_accepted, rows_rejected"
        " FROM load_files WHERE file = ?",
        [name],
    )[0]


# 1. A file without a header row: its first row is data, and none of it may be echoed or stored.
def test_a_file_without_a_header_row_is_rejected_and_nothing_of_it_is_echoed(
    tmp_path, stores, capsys
):
    area = base_area(tmp_path / "area")
    path = area / "gp_register.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))  # header dropped
    assert load(area, stores) == 0
    assert main(["quality", "--warehouse", str(stores["warehouse"])]) == 0
    printed = capsys.readouterr()
    status, problem, extra, read, accepted, rejected = load_file(stores, "gp_register.csv")
    assert (status, read, accepted, rejected) == ("rejected", 2, 0, 2)
    assert problem == "no header row: line 1 names no contract column"
    assert all(e.startswith("column ") and "#" in e for e in extra)
    assert rejections(stores, "gp_register.csv") == [
        ("gp_register.csv", 2, "_header", "no_header"),
        ("gp_register.csv", 3, "_header", "no_header"),
    ]
    outside = (
        printed.out
        + printed.err
        + json.dumps(query(stores["warehouse"], "FROM load_files"), default=str)
    )
    leaked = [v for v in identifiers() if v in outside]
    assert not leaked and "gp_register.csv: file rejected: no header row" in printed.err


def contacts(ids: list[str], **values) -> list[dict[str, str]]:
    return [row("community_contacts", "ann", contact_id=i, **values) for i in ids]


def contact_lines(tmp_path, ids, **values) -> list[bytes]:
    path = write_feed(tmp_path / "scratch.csv", "community_contacts", contacts(ids, **values))
    return path.read_bytes().splitlines(keepends=True)


def landed(stores) -> int:
    return query(stores["warehouse"], "SELECT count(*) FROM community_contacts")[0][0]


# 4. One bad record must not cost the file: DuckDB's reader gives up, the file is read record by
#    record, good rows land and each bad record is rejected with its line and rule.
def test_one_bad_record_rejects_that_record_only(tmp_path, stores, capsys):
    header, *good = contact_lines(tmp_path, [f"C{i}" for i in range(1, 9)])
    good[0] = good[0].replace(b"Annabel", b'"Ann\nabel"')  # a quoted cell over two lines
    good[1] = good[1].replace(b"Quixley", b"Qu\xefxley")  # Windows-1252, not UTF-8
    good[2] = good[2].rstrip(b"\r\n") + b"\n"  # mixed line endings (the rest end \r\n)
    good[3] = good[3].replace(b"Annabel", b"A" * (2 * 1024 * 1024 + 10))  # a cell over 2 MB
    good[4] = good[4].rstrip(b"\r\n") + b",x" * 40 + b"\r\n"  # far too many fields
    good[6] = b'"' + good[6]  # a quote never closed
    area = tmp_path / "area"
    area.mkdir()
    (area / "community_contacts.csv").write_bytes(header + b"".join(good))
    assert load(area, stores) == 0
    printed = capsys.readouterr()
    assert "community_contacts.csv line 3: column _record: rule not_utf8" in printed.err
    assert load_file(stores, "community_contacts.csv")[3:] == (8, 4, 4)
    assert rejections(stores) == [
        ("community_contacts.csv", 3, "_record", "not_utf8"),
        ("community_contacts.csv", 5, "_record", "record_too_long"),
        ("community_contacts.csv", 6, "_fields", "field_count"),
        ("community_contacts.csv", 8, "_record", "unbalanced_quote"),
    ]
    assert landed(stores) == 4
    names = query(stores["vault"], "SELECT DISTINCT given_name FROM identifier_records")
    assert ("Ann\nabel",) in names  # the quoted newline is a value, not a break


# 5. Damaged rows are not landed with NULLs, and a misspelt header does not null a column.
def test_short_and_truncated_rows_are_rejected_as_field_count(tmp_path, stores):
    header, first, second, third = contact_lines(tmp_path, ["C1", "C2", "C3"])
    short = b",".join(second.split(b",")[:-3]) + b"\r\n"  # a short row
    truncated = b",".join(third.split(b",")[:-1])  # the last line cut at a field boundary
    area = tmp_path / "area"
    area.mkdir()
    (area / "community_contacts.csv").write_bytes(header + first + short + truncated)
    assert load(area, stores) == 0
    assert load_file(stores, "community_contacts.csv")[3:] == (3, 1, 2)
    assert rejections(stores) == [
        ("community_contacts.csv", 3, "_fields", "field_count"),
        ("community_contacts.csv", 4, "_fields", "field_count"),
    ]


def test_a_misspelt_optional_header_rejects_the_file_naming_the_column(tmp_path, stores, capsys):
    names = [
        n if n != "contact_cost" else "contact_costs"
        for n in contract.feed("community_contacts").column_names
    ]
    area = tmp_path / "area"
    write_feed(
        area / "community_contacts.csv", "community_contacts", contacts(["C1"]), header=names
    )
    assert load(area, stores) == 0
    status, problem, *_ = load_file(stores, "community_contacts.csv")
    assert (status, problem) == ("rejected", "a column looks like contact_cost misspelt")
    assert rejections(stores) == [("community_contacts.csv", 2, "contact_cost", "misspelt_column")]
    assert "file rejected: a column looks like contact_cost misspelt" in capsys.readouterr().err


# 11. Tabs around values are blanks like spaces; Parquet dates written as time stamps are dates.
def test_tabs_around_values_are_trimmed(tmp_path, stores):
    header, *lines = contact_lines(tmp_path, ["C1", "C2"])
    padded = [
        b",".join(b"\t" + cell + b" \t" for cell in line.rstrip(b"\r\n").split(b",")) + b"\n"
        for line in lines
    ]
    area = tmp_path / "area"
    area.mkdir()
    (area / "community_contacts.csv").write_bytes(header + b"".join(padded))
    assert load(area, stores) == 0
    assert load_file(stores, "community_contacts.csv")[3:] == (2, 2, 0)


def test_parquet_with_time_stamp_dates_lands(tmp_path, stores):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    cells = contacts(["C1", "C2"])
    columns = {name: [c[name] for c in cells] for name in cells[0]}
    for name in ("date_of_birth", "contact_date"):
        columns[name] = pa.array(
            [dt.datetime.fromisoformat(v) for v in columns[name]], pa.timestamp("ns")
        )
    area = tmp_path / "area"
    area.mkdir()
    pq.write_table(pa.table(columns), area / "community_contacts.parquet")
    assert load(area, stores) == 0
    assert load_file(stores, "community_contacts.parquet")[3:] == (2, 2, 0)
    assert query(stores["warehouse"], "SELECT DISTINCT contact_date FROM community_contacts") == [
        (dt.date(2014, 5, 1),)
    ]
