"""The audit log's hash chain: intact logs verify (exit 0 and the count); a record changed,
removed or inserted is named (exit 4); a writer killed mid-stream leaves an intact chain."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from joinedup.cli import main
from joinedup.governance.audit import AuditLog, record_hash, verify

REGISTER = "ab" * 32


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path, REGISTER)
    for n in range(10):
        audit.append(user=f"user{n % 3}", role="analyst", purpose="jsna", tier="P", action="GET",
                     resource="/cohort", count=n, decision="allow", rule="tier_p")  # fmt: skip
    audit.close()
    return path


def _lines(path):
    return path.read_text().splitlines(keepends=True)


def test_an_intact_log_verifies_with_its_count(log, capsys):
    assert main(["audit", "verify", "--audit", str(log)]) == 0
    assert capsys.readouterr().out.strip() == "10 records, chain intact"
    records = [json.loads(line) for line in _lines(log)]
    assert [r["seq"] for r in records] == list(range(1, 11))
    assert all(r["register"] == REGISTER for r in records)
    assert all(b["prev"] == a["hash"] for a, b in zip(records, records[1:], strict=False))


def _tampered(log, capsys, lines) -> str:
    log.write_text("".join(lines))
    assert main(["audit", "verify", "--audit", str(log)]) == 4
    return capsys.readouterr().err


def test_a_changed_record_is_named(log, capsys):
    lines = _lines(log)
    lines[4] = lines[4].replace('"count": 4', '"count": 40')
    assert "line 5: chain broken (hash does not match" in _tampered(log, capsys, lines)


def test_a_removed_record_is_named(log, capsys):
    lines = _lines(log)
    del lines[3]
    assert "line 4: chain broken" in _tampered(log, capsys, lines)


def test_an_inserted_record_with_a_good_hash_is_named(log, capsys):
    lines = _lines(log)
    forged = json.loads(lines[5])
    forged.update(user="mallory", seq=7, prev=forged["hash"])  # links to the record before it
    forged["hash"] = record_hash(forged)
    lines.insert(6, json.dumps(forged, sort_keys=True) + "\n")
    assert "line 8: chain broken" in _tampered(log, capsys, lines)


def test_a_rewritten_tail_is_named(log, capsys):
    lines = _lines(log)
    last = json.loads(lines[-1])
    last["decision"] = "deny"
    lines[-1] = json.dumps(last, sort_keys=True) + "\n"
    assert "line 10: chain broken" in _tampered(log, capsys, lines)


WRITER = """
import sys
from joinedup.governance.audit import AuditLog
log = AuditLog(sys.argv[1], "cd" * 32)
n = 0
while True:
    n += 1
    log.append(user="writer", action="GET", resource="/x" * 50, count=n, decision="allow")
"""


def test_a_killed_writer_never_leaves_a_broken_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    for _ in range(3):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env)
        deadline = time.monotonic() + 30
        start = len(_lines(path)) if path.exists() else 0
        while (not path.exists() or len(_lines(path)) < start + 50) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        result = verify(path)
        assert result.broken_at is None, result.reason
        assert result.records >= start + 50
    AuditLog(path, "cd" * 32).append(user="after", decision="allow")
    assert verify(path).broken_at is None
