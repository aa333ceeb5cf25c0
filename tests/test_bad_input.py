"""Every command given bad input: one line on stderr, the documented exit code, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BAD_INPUT, CHECK, STORE = 3, 4, 5

# (command line, exit code); JUNK is a file that is not DuckDB, NONE a path that does not exist
CASES = [
    ("synth --out OUT --people 5", BAD_INPUT),
    ("calibrate NONE", BAD_INPUT),
    ("load NONE --warehouse OUT/w.duckdb", BAD_INPUT),
    ("quality --warehouse JUNK", STORE),
    ("quality --warehouse NONE", STORE),
    ("marts --warehouse JUNK", STORE),
    ("marts --warehouse NONE", STORE),
    ("metrics --warehouse JUNK", STORE),
    ("metrics --warehouse NONE", STORE),
    ("review --vault JUNK --register BADYAML --user u --audit OUT/a.jsonl", BAD_INPUT),
    ("rotate-key --vault JUNK --warehouse JUNK", STORE),
    ("vault-key rotate --vault JUNK", STORE),
    ("risk list --warehouse JUNK --index-date 2015-04-01", STORE),
    ("report --warehouse JUNK --out OUT/r.html", STORE),
    ("report --warehouse NONE --out OUT/r.html", STORE),
    ("lineage --vault JUNK --warehouse JUNK --out OUT/l.csv", STORE),
    ("plan --file BADYAML", BAD_INPUT),
    ("plan --file NONE", BAD_INPUT),
]


@pytest.mark.parametrize(("line", "code"), CASES, ids=[c[0].split(" --")[0] for c in CASES])
def test_bad_input_is_one_line_and_its_exit_code(tmp_path: Path, line: str, code: int):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database\n")
    (tmp_path / "bad.yaml").write_text("area: [unclosed\n")
    paths = {
        "JUNK": junk,
        "NONE": tmp_path / "none",
        "OUT": tmp_path / "out",
        "BADYAML": tmp_path / "bad.yaml",
    }
    argv = [str(paths.get(word.split("/")[0], "")) + word[len(word.split("/")[0]) :]
            if word.split("/")[0] in paths else word for word in line.split()]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "joinedup.cli", *argv], capture_output=True, text=True, timeout=120
    )
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"joinedup {argv[0]}"), done.stderr
    assert done.returncode == code, done.stderr
    assert not (tmp_path / "junk.duckdb.next").exists()


def test_a_user_error_names_file_line_column_and_rule_but_no_value():
    from joinedup.errors import BadInput, StoreError

    error = BadInput("not a valid date", file="acute_apc.csv", line=7, column="admission_date",
                     rule="date")  # fmt: skip
    assert str(error) == "acute_apc.csv, line 7, column admission_date (rule date): not a valid date"
    assert error.to_dict() == {
        "error": "not a valid date",
        "exit_code": 3,
        "file": "acute_apc.csv",
        "line": 7,
        "column": "admission_date",
        "rule": "date",
    }
    assert str(StoreError("w.duckdb: no warehouse here")) == "w.duckdb: no warehouse here"
