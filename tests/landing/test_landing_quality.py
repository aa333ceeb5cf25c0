"""`joinedup quality`: per feed, what happened to every row, as text or JSON."""

from __future__ import annotations

import json

from landing_area import AS_OF, base_area, row, write_feed

from joinedup.cli import main


def _load_with_problems(tmp_path, stores, capsys):
    area = base_area(tmp_path / "area")
    write_feed(
        area / "acute_ae.csv",
        "acute_ae",
        [
            row("acute_ae", "ann", attendance_id="A1"),
            row("acute_ae", "bob", attendance_id="A2", nhs_number="", departure_datetime=""),
            row("acute_ae", "cat", attendance_id="A3", disposal="XXX", sex=""),
            row("acute_ae", "cat", attendance_id="A4", nhs_number="9434765918"),  # fails modulus 11
        ],
    )
    code = main(
        [
            "load",
            str(area),
            "--warehouse",
            str(stores["warehouse"]),
            "--vault",
            str(stores["vault"]),
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    assert code == 0
    return capsys.readouterr()


def test_load_prints_progress_and_rejections_on_stderr_and_a_summary_on_stdout(
    tmp_path, stores, capsys
):
    printed = _load_with_problems(tmp_path, stores, capsys)
    assert "load: 4/5 acute_ae.csv: 4 read, 3 accepted, 1 rejected" in printed.err
    assert "acute_ae.csv line 4: column disposal: rule invalid_code" in printed.err
    assert "acute_ae.csv line 4: column sex: rule required_missing" in printed.err
    assert printed.out.startswith("5 files loaded, 0 rejected whole, 0 already loaded;")


def test_quality_json_gives_counts_rejections_nhs_numbers_and_linkage_per_feed(
    tmp_path, stores, capsys
):
    _load_with_problems(tmp_path, stores, capsys)
    assert main(["quality", "--warehouse", str(stores["warehouse"]), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    ae = report["feeds"]["acute_ae"]
    assert (ae["rows_read"], ae["rows_accepted"], ae["rows_rejected"]) == (4, 3, 1)
    assert ae["rejections"] == [
        {"column": "disposal", "rule": "invalid_code", "rows": 1},
        {"column": "sex", "rule": "required_missing", "rows": 1},
    ]
    assert ae["nhs_number"] == {"present": 2, "valid": 1, "completeness": 0.6667, "validity": 0.5}
    assert sum(ae["linkage"].values()) == 3
    assert ae["linkage"]["nhs_number"] == 1
    assert report["feeds"]["gp_register"]["linkage"] == {"nhs_number": 3}


def test_quality_text_is_readable_and_names_no_value(tmp_path, stores, capsys):
    _load_with_problems(tmp_path, stores, capsys)
    assert main(["quality", "--warehouse", str(stores["warehouse"])]) == 0
    text = capsys.readouterr().out
    assert "acute_ae: 1 files\n  rows read 4, accepted 3, rejected 1" in text
    assert "  rejected on disposal (invalid_code): 1 rows" in text
    assert "NHS number: present 2 (66.7%), valid 1 (50.0% of present)" in text
    assert "XXX" not in text and "9434765918" not in text


def test_quality_of_a_missing_warehouse_is_a_store_error(tmp_path, capsys):
    assert main(["quality", "--warehouse", str(tmp_path / "none.duckdb")]) == 5
    assert "none.duckdb" in capsys.readouterr().err
