"""Landing validation on both engines: the contract's rule cases (tests/landing's BROKEN and
VALID rows, and a file rejected whole) checked by the same rules on DuckDB and on Spark give
every reason the case names and no other."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "landing"))
from landing_area import AS_OF, row, write_feed  # noqa: E402
from test_landing_rules import BROKEN, VALID, _write_cases  # noqa: E402

from joinedup import duck  # noqa: E402
from joinedup.engine import DuckDB  # noqa: E402
from joinedup.engine.landing import reasons  # noqa: E402
from joinedup.engine.spark import Spark  # noqa: E402
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


def found_reasons(engine, feed_files) -> dict:
    found: dict[tuple, set] = {}
    for file in feed_files:
        names = files.read_header(duck.connect(), file)
        header = files.match_header(file.feed, names, SECRET)
        for line, column, rule in reasons(engine, file, header, AS_OF):
            found.setdefault((file.name, line), set()).add((column, rule))
    return found


def test_the_rule_cases_give_the_same_reasons_on_duckdb_and_spark(cases, tmp_path):
    feed_files, expected = cases
    assert len(feed_files) == 6 and len(expected) == len(BROKEN) + 1
    on_duckdb = found_reasons(DuckDB(duck.connect()), feed_files)
    assert on_duckdb == expected
    assert found_reasons(Spark(tmp_path / "store"), feed_files) == expected
