"""Accounts in the service store: Argon2id hashes, never shown; lockout after 5 failures in 15
minutes; disabling ends sessions; sessions expire after 30 minutes idle."""

import datetime as dt
import sqlite3
import subprocess
import sys

from joinedup.cli import main
from joinedup.service.store import ServiceStore

PASSWORD = "correct horse battery staple"


def _cli(store, *args, stdin=""):
    return subprocess.run([sys.executable, "-m", "joinedup.cli", "accounts", "--service", str(store), *args],
                          input=stdin, capture_output=True, text=True)  # fmt: skip


def test_set_password_list_and_disable_from_the_command_line(tmp_path):
    store = tmp_path / "service.sqlite"
    done = _cli(store, "set-password", "analyst.demo", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    (stored,) = sqlite3.connect(store).execute("SELECT password_hash FROM accounts").fetchone()
    assert stored.startswith("$argon2id$")
    listed = _cli(store, "list")
    assert listed.stdout.startswith("analyst.demo\tactive") and "argon2" not in listed.stdout
    assert _cli(store, "disable", "analyst.demo").returncode == 0
    assert "analyst.demo\tdisabled" in _cli(store, "list").stdout
    assert _cli(store, "disable", "nobody").returncode == 3
    assert _cli(store, "set-password", "x", "--password-stdin", stdin="short\n").returncode == 3


def test_lockout_after_five_failures_even_for_the_right_password(tmp_path):
    store = ServiceStore(tmp_path / "s.sqlite")
    store.set_password("board.demo", PASSWORD)
    assert store.check_password("board.demo", PASSWORD) == "ok"
    results = [store.check_password("board.demo", "wrong password!") for _ in range(5)]
    assert results == ["wrong"] * 4 + ["locked"]
    assert store.check_password("board.demo", PASSWORD) == "locked"
    store._run(
        "UPDATE failures SET at = ?",
        ((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)).isoformat(),),
    )
    assert store.check_password("board.demo", PASSWORD) == "ok"
    assert store.check_password("nobody", PASSWORD) == "wrong"


def test_sessions_expire_when_idle_and_end_when_the_account_is_disabled(tmp_path):
    store = ServiceStore(tmp_path / "s.sqlite")
    store.set_password("ig.demo", PASSWORD)
    session = store.open_session("ig.demo", "oversight")
    assert store.session(session.token).purpose == "oversight"
    store.age_session(session.token, dt.timedelta(minutes=29))
    assert store.session(session.token) is not None
    store.age_session(session.token, dt.timedelta(minutes=31))
    assert store.session(session.token) is None
    again = store.open_session("ig.demo", "oversight")
    assert main(["accounts", "--service", str(tmp_path / "s.sqlite"), "disable", "ig.demo"]) == 0
    assert store.session(again.token) is None
    (tokens,) = (
        sqlite3.connect(tmp_path / "s.sqlite").execute("SELECT count(*) FROM sessions").fetchone()
    )
    assert tokens == 0


def test_account_changes_are_audited_when_an_audit_log_is_given(tmp_path):
    from joinedup.governance.audit import verify
    from joinedup.governance.synthetic import write_register

    (tmp_path / "practices.csv").write_text(
        "practice_code,practice_name,locality\nY01000,Surgery 1,Central\n"
    )
    register = write_register(tmp_path)
    store, audit = tmp_path / "s.sqlite", tmp_path / "audit.jsonl"
    logged = ["--audit", str(audit), "--register", str(register)]
    assert (
        _cli(
            store, *logged, "set-password", "ig.demo", "--password-stdin", stdin=PASSWORD + "\n"
        ).returncode
        == 0
    )
    assert _cli(store, *logged, "disable", "ig.demo").returncode == 0
    assert _cli(store, "--audit", str(audit), "disable", "ig.demo").returncode == 3
    text = audit.read_text()
    assert verify(audit).records == 2 and PASSWORD not in text
    assert '"action": "accounts disable"' in text and '"resource": "account ig.demo"' in text
