"""Issue 9: each defect found by feeding landing what real senders send, reproduced by a file or
a command, with what is landed, what is rejected (line and rule), what is printed and the exit."""

from __future__ import annotations

import json

from conftest import PEOPLE, base_area, query

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
