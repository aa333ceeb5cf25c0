"""Landing validation on both engines: the contract's rule cases (tests/landing's BROKEN and
VALID rows, and a file rejected whole) checked by the same rules on DuckDB and on Spark (as
`load --engine spark` checks them) give every reason the case names and no other."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "landing"))
from landing_area import AS_OF, row, write_feed  # noqa: E402
from test_landing_rules import BROKEN, VALID, _write_cases  # noqa: E402

from joinedup import duck  # noqa: E402
from joinedup.engine.landing import checks  # noqa: E402
from joinedup.landing import files  # noqa: E402

SECRET = b"row secret of the test"
HEADERLESS_COLUMN = "admission_method"  # required: a file without it is rejected whole


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> tuple[list[files.FeedFile], dict]:
    """The area's feed files and, per (file, line), every (column, rule) expected."""
    folder = tmp_path_factory.mktemp("rule-cases") / "area"
    where = _write_cases(folder, BROKEN + VALID)
    expected = {at: case[2] for at, case in where.items() if len(case) == 3}
    columns = [c for c in row("acute_apc", "ann") if c != HEADERLESS_COLUMN]
    whole = folder / "acute_apc" / "2015-01.csv"
    write_feed(whole, "acute_apc", [row("acute_apc", "ann", spell_id="W1")], header=columns)
    expected[("acute_apc/2015-01.csv", 2)] = {(HEADERLESS_COLUMN, "missing_column")}
    found, _ = files.discover(folder)
    return found, expected


def found_reasons(engine: str, feed_files) -> dict:
    """Every (file, line) -> reasons, each file read and checked as `load --engine` does."""
    found: dict[tuple, set] = {}
    con = duck.connect()
    for file in feed_files:
        header = files.match_header(file.feed, files.read_header(con, file), SECRET)
        files.stage_raw(con, file, header, "raw_file")
        checks(engine)(con, file.feed, header, "raw_file", AS_OF, "file_reasons")
        for line, column, rule in con.execute("SELECT * FROM file_reasons").fetchall():
            found.setdefault((file.name, line), set()).add((column, rule))
    return found


def test_the_rule_cases_give_the_same_reasons_on_duckdb_and_spark(cases):
    feed_files, expected = cases
    assert len(feed_files) == 6 and len(expected) == len(BROKEN) + 1
    assert found_reasons("duckdb", feed_files) == expected
    assert found_reasons("spark", feed_files) == expected
