"""The service's own store S (SQLite): accounts, sign-in failures, sessions and saved views.

Passwords are hashed with Argon2id; session tokens are kept only as their SHA-256, so a copy of
S signs nobody in. Sign-in locks after 5 failures in 15 minutes; sessions end after 30 minutes
idle (GOVERNANCE.md "Accounts").
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from joinedup.errors import BadInput, StoreError

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
IDLE_EXPIRY = dt.timedelta(minutes=30)
TOUCH_EVERY = dt.timedelta(seconds=30)  # last use is recorded to this precision
MIN_PASSWORD_LENGTH = 12
SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (user_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (user_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_sha256 TEXT PRIMARY KEY, user_id TEXT NOT NULL,
    purpose TEXT NOT NULL, csrf_token TEXT NOT NULL, created TEXT NOT NULL, last_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS views (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
    query TEXT NOT NULL, published INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
"""
_HASHER = PasswordHasher()  # argon2-cffi's default type is Argon2id


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    user_id: str
    disabled: bool
    changed: str
    locked: bool


@dataclass(frozen=True)
class Session:
    token: str
    user_id: str
    purpose: str
    csrf_token: str


class ServiceStore:
    """One SQLite connection shared by the service's threads (serialised by a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot open the service store ({error})") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    def _run(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    # accounts ----------------------------------------------------------------------------------

    def set_password(self, user_id: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise BadInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        self._run(
            "INSERT INTO accounts VALUES (?, ?, 0, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " password_hash = excluded.password_hash, disabled = 0, changed = excluded.changed",
            (user_id, _HASHER.hash(password), now().isoformat()),
        )
        self._run("DELETE FROM failures WHERE user_id = ?", (user_id,))

    def disable(self, user_id: str) -> bool:
        """Disable an account and end its sessions; False when there is no such account."""
        found = self._run("SELECT 1 FROM accounts WHERE user_id = ?", (user_id,))
        self._run(
            "UPDATE accounts SET disabled = 1, changed = ? WHERE user_id = ?",
            (now().isoformat(), user_id),
        )
        self._run("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        return bool(found)

    def accounts(self) -> list[Account]:
        rows = self._run("SELECT user_id, disabled, changed FROM accounts ORDER BY user_id")
        return [Account(u, bool(d), c, self.locked(u)) for u, d, c in rows]

    def locked(self, user_id: str) -> bool:
        since = (now() - LOCKOUT_WINDOW).isoformat()
        (failures,) = self._run(
            "SELECT count(*) FROM failures WHERE user_id = ? AND at > ?", (user_id, since)
        )[0]
        return failures >= LOCKOUT_FAILURES

    def check_password(self, user_id: str, password: str) -> str:
        """'ok', 'locked', 'disabled' or 'wrong' (unknown users are 'wrong', after the same work)."""
        if self.locked(user_id):
            return "locked"
        rows = self._run(
            "SELECT password_hash, disabled FROM accounts WHERE user_id = ?", (user_id,)
        )
        stored, disabled = rows[0] if rows else (_dummy_hash(), 0)
        try:
            _HASHER.verify(stored, password)
            verified = bool(rows)
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified:
            self._run("INSERT INTO failures VALUES (?, ?)", (user_id, now().isoformat()))
            return "locked" if self.locked(user_id) else "wrong"
        if disabled:
            return "disabled"
        self._run("DELETE FROM failures WHERE user_id = ?", (user_id,))
        return "ok"

    def failures_since(self, since: dt.datetime) -> list[tuple[str, int]]:
        return self._run(
            "SELECT user_id, count(*) FROM failures WHERE at > ? GROUP BY user_id ORDER BY 2 DESC",
            (since.isoformat(),),
        )

    def active(self, user_id: str) -> bool:
        rows = self._run("SELECT disabled FROM accounts WHERE user_id = ?", (user_id,))
        return bool(rows) and not rows[0][0]

    # sessions ----------------------------------------------------------------------------------

    def open_session(self, user_id: str, purpose: str) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        stamp = now().isoformat()
        self._run(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
            (_sha256(token), user_id, purpose, csrf, stamp, stamp),
        )
        return Session(token, user_id, purpose, csrf)

    def session(self, token: str | None) -> Session | None:
        """The live session of `token`, touched; None when unknown, idle too long or disabled."""
        if not token:
            return None
        key = _sha256(token)
        rows = self._run(
            "SELECT user_id, purpose, csrf_token, last_seen FROM sessions WHERE token_sha256 = ?",
            (key,),
        )
        if not rows:
            return None
        user_id, purpose, csrf, last_seen = rows[0]
        if now() - dt.datetime.fromisoformat(last_seen) > IDLE_EXPIRY or not self.active(user_id):
            self._run("DELETE FROM sessions WHERE token_sha256 = ?", (key,))
            return None
        if now() - dt.datetime.fromisoformat(last_seen) > TOUCH_EVERY:
            # a write (and its commit) per request would serialise every request on this store
            self._run(
                "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (now().isoformat(), key)
            )
        return Session(token, user_id, purpose, csrf)

    def close_session(self, token: str) -> None:
        self._run("DELETE FROM sessions WHERE token_sha256 = ?", (_sha256(token),))

    def age_session(self, token: str, idle: dt.timedelta) -> None:
        """Move a session's last use into the past (tests of the idle expiry)."""
        self._run(
            "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?",
            ((now() - idle).isoformat(), _sha256(token)),
        )

    def secret(self, name: str) -> bytes:
        """A random key kept in S (e.g. for export pseudonyms), made on first use."""
        self._run("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_bytes(32)))
        return bytes(self._run("SELECT value FROM secrets WHERE name = ?", (name,))[0][0])

    # saved views -------------------------------------------------------------------------------

    def save_view(self, owner: str, name: str, query: dict) -> int:
        with self._lock:
            cursor = self._con.execute(
                "INSERT INTO views (owner, name, query, created) VALUES (?, ?, ?, ?)",
                (owner, name, json.dumps(query, sort_keys=True), now().isoformat()),
            )
            return int(cursor.lastrowid)

    def views(self, published_only: bool = False) -> list[dict]:
        rows = self._run(
            "SELECT id, owner, name, query, published, created FROM views"
            + (" WHERE published = 1" if published_only else "")
            + " ORDER BY id"
        )
        return [
            {
                "id": i,
                "owner": o,
                "name": n,
                "query": json.loads(q),
                "published": bool(p),
                "created": c,
            }
            for i, o, n, q, p, c in rows
        ]

    def publish(self, view_id: int) -> bool:
        found = self._run("SELECT 1 FROM views WHERE id = ?", (view_id,))
        self._run("UPDATE views SET published = 1 WHERE id = ?", (view_id,))
        return bool(found)


@functools.cache
def _dummy_hash() -> str:
    """Verified against for unknown users, so that they take as long as known ones."""
    return _HASHER.hash(secrets.token_urlsafe(16))
