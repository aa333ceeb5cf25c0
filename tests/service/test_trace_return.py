"""`joinedup trace-return`: the council's person ids that arrived without a valid NHS number, with
the NHS number linkage found, from the vault only, owner-only, audited with the count."""

import csv
import json
import stat

from joinedup.cli import main
from joinedup.governance.synthetic import COUNCIL


def test_the_council_gets_the_nhs_numbers_linkage_found(web_area, tmp_path):
    root, area, _, vault = web_area
    out, audit = tmp_path / "trace.csv", tmp_path / "audit.jsonl"
    args = ["trace-return", "--vault", str(vault), "--register", str(root / "register.yaml"),
            "--org", COUNCIL, "--out", str(out), "--audit", str(audit)]  # fmt: skip
    assert main(args) == 0
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"la_person_id", "nhs_number"}
    with (area / "truth" / "people.csv").open(newline="") as handle:
        truth = {}
        for person in csv.DictReader(handle):
            for key in ("la_person_id", "second_la_person_id"):
                if person[key]:
                    truth[person[key]] = person["nhs_number"]
    right = sum(truth.get(r["la_person_id"]) == r["nhs_number"] for r in rows)
    assert right / len(rows) >= 0.95, (right, len(rows))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["action"], record["count"], record["tier"]) == ("trace-return", len(rows), "I")
    assert record["rule"] == "trace_return:from_the_vault"


def test_an_unknown_organisation_is_refused_with_one_line(web_area, tmp_path, capsys):
    root, _, _, vault = web_area
    args = ["trace-return", "--vault", str(vault), "--register", str(root / "register.yaml"),
            "--org", "NOPE", "--out", str(tmp_path / "x.csv"), "--audit", str(tmp_path / "a")]  # fmt: skip
    assert main(args) == 3
    assert "--org NOPE: no organisation" in capsys.readouterr().err
