"""The store boundary with real processes: a reader beside a writer, a killed writer, two writers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from joinedup.errors import StoreError
from joinedup.warehouse import store

ROWS = 200_000  # big enough that copying and checkpointing take a moment


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with store.writing(path, create=True) as con:
        con.execute(f"CREATE TABLE t AS SELECT 1 AS version, range AS n FROM range({ROWS})")
    return path


def _versions(path: Path) -> list[int]:
    with store.reading(path) as con:
        return [v for (v,) in con.execute("SELECT DISTINCT version FROM t ORDER BY 1").fetchall()]


READER = """
    import sys, time
    from joinedup.warehouse.store import Reader
    reader = Reader(sys.argv[1], needed=("t",))
    seen, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline and seen[-1:] != [int(sys.argv[2])]:
        with reader.connection() as con:
            low, high, count = con.execute("SELECT min(version), max(version), count(*) FROM t").fetchone()
        assert low == high, f"a half-written load: versions {low}..{high}"
        assert count == int(sys.argv[3]), count
        if not seen or seen[-1] != low:
            seen.append(low)
            print(low, flush=True)
"""

WRITER = """
    import sys
    from joinedup.warehouse.store import writing
    for version in range(2, 2 + int(sys.argv[2])):
        with writing(sys.argv[1]) as con:
            con.execute("UPDATE t SET version = ?", [version])
"""


def test_a_reader_beside_a_writer_never_fails_and_sees_each_commit(warehouse: Path):
    reader = _python(READER, str(warehouse), "4", str(ROWS))  # reads until it sees version 4
    assert reader.stdout.readline().strip() == "1"  # it is querying the first version
    writer = _python(WRITER, str(warehouse), "3")
    assert writer.wait(60) == 0, writer.stderr.read()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert out.split() == ["2", "3", "4"]  # then each commit in order, no restart
    assert not (warehouse.parent / "w.duckdb.next").exists()


HOLDING_WRITER = """
    import sys, time
    from joinedup.warehouse.store import writing
    with writing(sys.argv[1]) as con:
        con.execute("UPDATE t SET version = 99")
        con.execute("DELETE FROM t WHERE n % 2 = 0")
        print("changed", flush=True)
        time.sleep(60)
"""


def test_a_writer_killed_mid_way_leaves_the_store_unchanged(warehouse: Path):
    writer = _python(HOLDING_WRITER, str(warehouse))
    assert writer.stdout.readline().strip() == "changed"
    assert (warehouse.parent / "w.duckdb.next").exists()
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    assert _versions(warehouse) == [1]
    with store.reading(warehouse) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    # the next writer discards the stale W.next and starts again from W
    with store.writing(warehouse) as con:
        con.execute("UPDATE t SET version = 2")
    assert _versions(warehouse) == [2]


def test_a_second_writer_fails_with_one_line_and_exit_5(warehouse: Path):
    writer = _python(HOLDING_WRITER, str(warehouse))
    try:
        assert writer.stdout.readline().strip() == "changed"
        with (
            pytest.raises(StoreError, match="another process is changing the warehouse"),
            store.writing(warehouse),
        ):
            pass
        second = subprocess.run(
            [sys.executable, "-m", "joinedup.cli", "marts", "--warehouse", str(warehouse)],
            capture_output=True,
            text=True,
        )
        assert second.returncode == 5
        assert second.stderr.strip().splitlines() == [
            f"joinedup marts: error: {warehouse}: another process is changing the warehouse;"
            " try again when it has finished"
        ]
    finally:
        writer.kill()
        writer.wait(10)
    assert _versions(warehouse) == [1]


def test_a_failed_block_changes_nothing(warehouse: Path):
    with pytest.raises(duckdb.Error), store.writing(warehouse) as con:
        con.execute("UPDATE t SET version = 5")
        con.execute("SELECT no_such_column FROM t")
    assert _versions(warehouse) == [1]
    assert not (warehouse.parent / "w.duckdb.next").exists()


def test_opening_errors_are_store_errors_with_duckdbs_message(tmp_path: Path):
    with pytest.raises(StoreError, match=r"no warehouse here"):
        store.reading(tmp_path / "none.duckdb").__enter__()
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database\n")
    with pytest.raises(StoreError, match=r"junk.duckdb: cannot open the warehouse \(.+\)") as raised:
        store.reading(junk).__enter__()
    assert raised.value.exit_code == 5
    new = tmp_path / "new.duckdb"
    with (
        pytest.raises(StoreError, match=r"new.duckdb: not a joinedup warehouse \(no table person; "),
        store.writing(new, create=True, needed=("person",)),
    ):
        pass
    assert not new.exists()  # a failed first write leaves nothing behind


def test_a_reader_keeps_the_old_file_for_a_block_in_use(warehouse: Path):
    reader = store.Reader(warehouse)
    with reader.connection() as old:
        with store.writing(warehouse) as con:
            con.execute("UPDATE t SET version = 2")
        with reader.connection() as new:
            assert new.execute("SELECT max(version) FROM t").fetchone() == (2,)
        assert old.execute("SELECT max(version) FROM t").fetchone() == (1,)
    with reader.connection() as con:
        assert con.execute("SELECT max(version) FROM t").fetchone() == (2,)
    reader.close()
    with pytest.raises(duckdb.Error):
        old.execute("SELECT 1")


def test_reading_while_copying_reads_the_store_and_writes_its_copy(warehouse: Path):
    with store.reading_while_copying(warehouse, needed=("t",)) as (con, writer):
        assert con.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
        copy = writer()
        copy.execute("CREATE TABLE derived AS SELECT 7 AS n")
        assert writer() is copy  # one copy, however often it is asked for
        with pytest.raises(StoreError, match="another process is changing"), store.writing(warehouse):
            pass
        assert _versions(warehouse) == [1]  # nothing shows before the block ends
        assert not store.has_table(con, "derived")
    with store.reading(warehouse) as con:
        assert con.execute("SELECT n FROM derived").fetchall() == [(7,)]
        assert con.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    assert not (warehouse.parent / "w.duckdb.next").exists()


def test_reading_while_copying_changes_nothing_when_the_block_fails(warehouse: Path):
    for write_first in (False, True):
        with pytest.raises(duckdb.Error), store.reading_while_copying(warehouse) as (con, writer):
            if write_first:
                writer().execute("UPDATE t SET version = 5")
            con.execute("SELECT no_such_column FROM t")
        assert _versions(warehouse) == [1]
        assert not (warehouse.parent / "w.duckdb.next").exists()


def test_reading_while_copying_a_store_without_the_tables_copies_nothing(warehouse: Path):
    with (
        pytest.raises(StoreError, match=r"not a joinedup warehouse \(no table person"),
        store.reading_while_copying(warehouse, needed=("person",)),
    ):
        pass
    assert not (warehouse.parent / "w.duckdb.next").exists()
    assert _versions(warehouse) == [1]
