import datetime as dt
import json

import pytest

from joinedup.cli import main
from joinedup.errors import StoreError
from joinedup.governance.incidents import IncidentLog, overdue

D = dt.date


def test_an_incident_has_its_deadline_actions_report_and_closure(tmp_path):
    log = IncidentLog(tmp_path / "incidents.jsonl")
    first = log.record("letter sent to the wrong address", D(2016, 12, 20), 1)
    # 10 working days from Tuesday 20 December 2016: Christmas (substitute 27th) and New Year
    # (substitute Monday 2 January) are skipped.
    assert first.deadline == D(2017, 1, 6)
    log.action(first.id, D(2016, 12, 21), "letter recovered")
    log.reported(first.id, D(2016, 12, 22), "ICO")
    second = log.record("report emailed unencrypted", D(2016, 12, 21), 40)
    assert [i.id for i in overdue(log, D(2017, 1, 9))] == []
    assert [i.id for i in overdue(log, D(2017, 1, 10))] == [second.id]
    log.close(second.id, D(2017, 1, 11), "no personal data in the report")
    assert overdue(log, D(2017, 2, 1)) == []
    again = IncidentLog(log.path).get(first.id)
    assert [a["text"] for a in again.actions] == ["letter recovered", "reported to ICO"]


def test_an_edited_line_breaks_the_chain(tmp_path):
    log = IncidentLog(tmp_path / "incidents.jsonl")
    log.record("lost laptop", D(2016, 3, 1), 12)
    log.record("misdirected fax", D(2016, 3, 2), 1)
    lines = log.path.read_text().splitlines()
    lines[0] = lines[0].replace('"people_affected": 12', '"people_affected": 2')
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StoreError, match="line 2: the incident log.s hash chain is broken"):
        log.incidents()


def test_incidents_command_lists_overdue(tmp_path, capsys):
    path = str(tmp_path / "log.jsonl")
    assert main(["incidents", "record", "--log", path, "--what", "wrong recipient",
                 "--found", "2016-03-01", "--people", "3"]) == 0  # fmt: skip
    assert "report by 2016-03-15" in capsys.readouterr().out
    assert (
        main(["incidents", "list", "--log", path, "--as-of", "2016-03-16", "--format", "json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["overdue"] and rows[0]["people_affected"] == 3
    assert main(["incidents", "close", "--log", path, "--id", "1", "--on", "2016-03-17",
                 "--outcome", "contained"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["incidents", "list", "--log", path, "--as-of", "2016-03-18", "--overdue"]) == 0
    assert capsys.readouterr().out.strip() == "no incidents"
