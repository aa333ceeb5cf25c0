"""The audit log (GOVERNANCE.md "Audit"): its own append-only file of JSON lines, one record per
request, sign-in, export, refusal or administrative change, chained by SHA-256.

Each record is written with one `write` on a file opened O_APPEND and fsynced before the request
is answered: a killed writer leaves either the whole record or none of it, so the chain is never
broken. Several processes may append (an exclusive `flock` per record). `joinedup audit verify`
recomputes every hash and names the first broken record.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from joinedup.errors import StoreError

GENESIS = "0" * 64
FIELDS = ("seq", "time", "user", "organisation", "role", "purpose", "tier", "action", "resource",
          "people", "count", "decision", "rule", "register", "prev")  # fmt: skip


def record_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


class AuditLog:
    """Appends chained records to `path`; thread-safe and safe beside other writers."""

    def __init__(self, path: str | Path, register_sha256: str) -> None:
        self.path = Path(path)
        self.register = register_sha256
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreError(f"{self.path}: cannot open the audit log ({error.strerror})") from None

    def close(self) -> None:
        os.close(self._fd)

    def append(self, **fields) -> dict:
        """Write one record (fields as FIELDS; missing ones are null) and return it."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"not audit fields: {sorted(unknown)}")
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                seq, prev = _last(self.path)
                record = {name: fields.get(name) for name in FIELDS}
                record.update(
                    seq=seq + 1,
                    time=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                    register=self.register,
                    prev=prev,
                )
                record["hash"] = record_hash(record)
                os.write(self._fd, (json.dumps(record, sort_keys=True) + "\n").encode())
                os.fsync(self._fd)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return record


def _last(path: Path) -> tuple[int, str]:
    """The sequence number and hash of the last record (0 and GENESIS for an empty log)."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0, GENESIS
        chunk = 4096
        while True:
            handle.seek(max(0, size - chunk))
            tail = handle.read()
            lines = tail.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or chunk >= size:
                record = json.loads(lines[-1])
                return int(record["seq"]), record["hash"]
            chunk *= 4


@dataclass(frozen=True)
class Verification:
    records: int
    broken_at: int | None  # line number of the first broken record
    reason: str | None


def verify(path: str | Path) -> Verification:
    """Check every record's hash, sequence and link to the one before."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such audit log")
    prev, seq = GENESIS, 0
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            reason = _broken(line, prev, seq)
            if reason:
                return Verification(line_number - 1, line_number, reason)
            record = json.loads(line)
            prev, seq = record["hash"], record["seq"]
    return Verification(seq, None, None)


def _broken(line: bytes, prev: str, seq: int) -> str | None:
    if not line.endswith(b"\n"):
        return "incomplete record (no end of line)"
    try:
        record = json.loads(line)
    except ValueError:
        return "not a JSON record"
    if not isinstance(record, dict) or set(record) != {*FIELDS, "hash"}:
        return "not an audit record (fields)"
    if record["seq"] != seq + 1:
        return f"sequence {record['seq']} follows {seq}"
    if record["prev"] != prev:
        return "does not link to the record before (removed or inserted record)"
    if record["hash"] != record_hash(record):
        return "hash does not match the record (changed)"
    return None
