"""Two processes appending to one chained log at once never break or fork its chain: the
destruction record (and every ChainedLines file), the incident log's numbering and the audit log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from joinedup.governance.audit import verify
from joinedup.governance.chained import ChainedLines
from joinedup.governance.incidents import IncidentLog

APPENDS = 40

# Each writer waits for the start file, then appends as fast as it can.
WRITER = """
import sys, time, datetime as dt
from pathlib import Path
kind, path, start, name, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
while not start.exists():
    time.sleep(0.001)
if kind == "chained":
    from joinedup.governance.chained import ChainedLines
    log = ChainedLines(path, "destruction record")
    for n in range(count):
        log.append({"writer": name, "n": n})
elif kind == "incidents":
    from joinedup.governance.incidents import IncidentLog
    log = IncidentLog(path)
    for n in range(count):
        log.record(f"{name} {n}", dt.date(2016, 3, 1), 1)
else:
    from joinedup.governance.audit import AuditLog
    log = AuditLog(path, "ab" * 32)
    for n in range(count):
        log.append(user=name, action="GET", resource="/x", count=n, decision="allow")
    log.close()
"""


def run_two_writers(tmp_path: Path, kind: str, path: Path, count: int = APPENDS) -> None:
    start = tmp_path / f"start-{kind}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, kind, str(path), str(start), name, str(count)], env=env
        )
        for name in ("a", "b")
    ]
    time.sleep(1.0)  # both started and waiting
    start.touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0


def test_two_processes_appending_to_a_destruction_record_keep_one_chain(tmp_path):
    path = tmp_path / "w.duckdb.destruction.jsonl"
    run_two_writers(tmp_path, "chained", path)
    entries = ChainedLines(path, "destruction record").read()  # raises on a broken link
    assert len(entries) == 2 * APPENDS
    for name in ("a", "b"):
        assert [e["n"] for e in entries if e["writer"] == name] == list(range(APPENDS))


def test_two_processes_recording_incidents_give_each_its_own_number(tmp_path):
    path = tmp_path / "incidents.jsonl"
    run_two_writers(tmp_path, "incidents", path, count=20)
    incidents = IncidentLog(path).incidents()
    assert sorted(i.id for i in incidents) == list(range(1, 41))
    assert len({i.what for i in incidents}) == 40


def test_two_processes_appending_to_the_audit_log_keep_one_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    run_two_writers(tmp_path, "audit", path)
    result = verify(path)
    assert result.broken_at is None, result.reason
    assert result.records == 2 * APPENDS
