"""Issue 9: each defect found by feeding landing what real senders send, reproduced by a file or
a command, with what is landed, what is rejected (line and rule), what is printed and the exit."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys

from landing_area import PEOPLE, base_area, query, row, write_feed

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


# 6. Values of the right type that no real record holds, by plausibility rule (data, not code).
def test_implausible_costs_and_dates_of_birth_are_rejected_by_rule(tmp_path, stores):
    area = tmp_path / "area"
    write_feed(
        area / "community_contacts.csv",
        "community_contacts",
        contacts(["C1"])
        + contacts(["C2"], contact_cost="-5.00")
        + contacts(["C3"], contact_cost="1000000000000000000000")
        + contacts(["C4"], date_of_birth="2014-05-02")  # born the day after the contact
        + contacts(["C5"], date_of_birth="1879-12-31"),
    )
    assert load(area, stores) == 0
    assert rejections(stores) == [
        ("community_contacts.csv", 3, "contact_cost", "negative_cost"),
        ("community_contacts.csv", 4, "contact_cost", "implausible_cost"),
        ("community_contacts.csv", 5, "date_of_birth", "born_after_event"),
        ("community_contacts.csv", 6, "date_of_birth", "born_before_1880"),
    ]
    assert load_file(stores, "community_contacts.csv")[3:] == (5, 1, 4)


# 7. Every entry of the folder is loaded or listed as skipped with its reason.
def test_every_entry_of_the_folder_is_loaded_or_skipped_with_its_reason(tmp_path, stores, capsys):
    import gzip

    area = tmp_path / "area"
    write_feed(area / "Acute_APC.csv", "acute_apc", [row("acute_apc", "ann", spell_id="S1")])
    write_feed(area / "x" / "deaths.CSV", "deaths", [row("deaths", "ann")])
    (area / "x" / "deaths.CSV").rename(area / "deaths.CSV")
    plain = write_feed(tmp_path / "c.csv", "community_contacts", contacts(["C1", "C2"]))
    (area / "community_contacts.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    (area / "acute_apc_old.csv").write_text("spell_id\nS9\n")
    (area / "gp_register.csv").mkdir()
    os.mkfifo(area / "objections.csv")
    (area / "eol_register.csv").symlink_to(tmp_path / "nowhere.csv")
    (area / "population.csv").symlink_to(plain)  # out of the folder
    assert load(area, stores) == 0
    out = capsys.readouterr().out
    landed = query(stores["warehouse"], "SELECT file, rows_accepted FROM load_files ORDER BY 1")
    assert landed == [("Acute_APC.csv", 1), ("community_contacts.csv.gz", 2), ("deaths.CSV", 1)]
    for line in [
        "skipped acute_apc_old.csv: not named after a contract feed",
        "skipped eol_register.csv: a link to nothing",
        "skipped gp_register.csv: a folder named like a feed file",
        "skipped objections.csv: not a regular file",
        "skipped population.csv: a link out of the folder (refused)",
        "skipped x: a folder not named after a contract feed",
    ]:
        assert line in out, out


# 10. A file loaded with a wrong --as-of can be landed again on purpose; identical bytes sent for
#     two feeds are two files.
def test_a_file_can_be_reloaded_and_the_same_bytes_are_two_files_for_two_feeds(
    tmp_path, stores, capsys
):
    area = tmp_path / "area"
    write_feed(area / "community_contacts.csv", "community_contacts", contacts(["C1"]))
    argv = ["load", str(area), "--warehouse", str(stores["warehouse"]), "--vault"]
    argv += [str(stores["vault"]), "--quiet"]
    assert main([*argv, "--as-of", "2014-01-01"]) == 0  # wrong: the contact becomes "future"
    assert load_file(stores, "community_contacts.csv")[3:] == (1, 0, 1)
    assert main([*argv, "--as-of", "2015-03-31"]) == 0
    assert "1 already loaded" in capsys.readouterr().out
    assert main([*argv, "--as-of", "2015-03-31", "--reload", "community_contacts.csv"]) == 0
    assert load_file(stores, "community_contacts.csv")[3:] == (1, 1, 0)
    assert rejections(stores) == []  # the earlier load's record of the file is replaced
    assert query(stores["warehouse"], "SELECT count(*) FROM community_contacts") == [(1,)]
    (area / "mental_health_contacts.csv").write_bytes(
        (area / "community_contacts.csv").read_bytes()
    )
    assert main([*argv, "--as-of", "2015-03-31"]) == 0
    assert load_file(stores, "mental_health_contacts.csv")[3] == 1  # read, not "already loaded"
    assert main([*argv, "--reload", "nothing.csv"]) == 3
    assert "--reload nothing.csv: not a feed file" in capsys.readouterr().err


# 9. Faults are one line and exit 5 (3 for synth), with nothing half-written.
FULL_DISK = """
import resource, signal, sys
from joinedup.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_at_commit_is_one_line_and_a_rerun_completes(tmp_path, stores):
    area = base_area(tmp_path / "area")
    argv = ["load", str(area), "--warehouse", str(stores["warehouse"]), "--vault"]
    argv += [str(stores["vault"]), "--as-of", "2015-03-31", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", FULL_DISK, *argv], capture_output=True, env=env)
    err = done.stderr.decode().strip()
    assert done.returncode == 5 and len(err.splitlines()) == 1, err
    assert "cannot write" in err and "File too large" in err and "Traceback" not in err
    assert not stores["warehouse"].exists()  # nothing half-written
    assert main(argv) == 0
    assert query(stores["warehouse"], "SELECT count(*) FROM acute_apc") == [(2,)]


def test_a_warehouse_whose_folder_cannot_be_made_is_one_line(tmp_path, stores, capsys):
    area = base_area(tmp_path / "area")
    (tmp_path / "a_file").write_text("")
    warehouse = tmp_path / "a_file" / "w.duckdb"  # its folder would be inside a file
    assert main(["load", str(area), "--warehouse", str(warehouse), "--quiet"]) == 5
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot create its folder" in err


def _open_vault(path: str) -> bytes:
    from joinedup.identity import keys

    return keys.load_secret(keys.ROW_KEY, path, None, True)


def test_first_loads_racing_for_the_secret_read_the_same_one(tmp_path, monkeypatch):
    monkeypatch.delenv("JOINEDUP_ROW_KEY", raising=False)
    with multiprocessing.get_context("fork").Pool(6) as pool:
        secrets = pool.map(_open_vault, [str(tmp_path / "v.duckdb")] * 24)
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32


def test_synth_to_an_unwritable_folder_is_one_line_and_exit_3(tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    out = tmp_path / "a_file" / "area"
    assert main(["synth", "--out", str(out), "--people", "100", "--quiet"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot write there" in err
