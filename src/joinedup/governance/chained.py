"""An append-only file of JSON lines chained by SHA-256: each line carries the hash of the line
before it, so an edited, reordered or removed line is found on reading. Used by the records the IG
lead keeps (incident log, destruction record, change log).

Several processes may append: each append holds an exclusive `flock` on the file from reading
the last line to the fsync of the new one, so two writers never link to the same line; readers
take a shared lock and never see half a line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from joinedup.errors import StoreError

GENESIS = "0" * 64

# An entry, or a function building it under the lock from the entries already there (None:
# nothing to append), for entries that depend on the log: the next incident number, a notice.
Entry = dict | Callable[[list[dict]], dict | None]


class ChainedLines:
    def __init__(self, path: str | Path, what: str) -> None:
        self.path = Path(path)
        self.what = what  # named in errors: "incident log", "destruction record"

    def read(self) -> list[dict]:
        """Every entry, oldest first; StoreError naming the first broken line."""
        if not self.path.exists():
            return []
        with self._locked(fcntl.LOCK_SH, os.O_RDONLY):
            return self._entries(self._text())

    def append(self, entry: Entry) -> dict | None:
        """Add one entry after checking the chain (one write, fsynced: all of it or none);
        returns it (None when a builder chose not to append)."""
        with self._locked(fcntl.LOCK_EX, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
            text = self._text()
            if callable(entry):
                entry = entry(self._entries(text))
                if entry is None:
                    return None
            else:
                self._entries(text)
            lines = text.splitlines()
            previous = _hash(lines[-1]) if lines else GENESIS
            line = json.dumps({**entry, "previous": previous}, sort_keys=True)
            try:
                os.write(fd, (line + "\n").encode())
                os.fsync(fd)
            except OSError as error:
                raise StoreError(
                    f"{self.path}: cannot write the {self.what} ({error.strerror})"
                ) from None
        return entry

    def _entries(self, text: str) -> list[dict]:
        entries, previous = [], GENESIS
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {}
            if not isinstance(entry, dict) or entry.get("previous") != previous:
                raise StoreError(
                    f"{self.path}, line {number}: the {self.what}'s hash chain is broken"
                    " (a line was edited or removed)"
                )
            previous = _hash(line)
            entries.append({k: v for k, v in entry.items() if k != "previous"})
        return entries

    @contextmanager
    def _locked(self, kind: int, flags: int) -> Iterator[int]:
        try:
            if flags & os.O_CREAT:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o600)
        except OSError as error:
            raise StoreError(
                f"{self.path}: cannot open the {self.what} ({error.strerror})"
            ) from None
        try:
            fcntl.flock(fd, kind)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def _text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError as error:
            raise StoreError(
                f"{self.path}: cannot read the {self.what} ({error.strerror})"
            ) from None


def _hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()
