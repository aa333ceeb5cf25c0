"""An append-only file of JSON lines chained by SHA-256: each line carries the hash of the line
before it, so an edited, reordered or removed line is found on reading. Used by the records the IG
lead keeps (incident log, destruction record)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from joinedup.errors import StoreError

GENESIS = "0" * 64


class ChainedLines:
    def __init__(self, path: str | Path, what: str) -> None:
        self.path = Path(path)
        self.what = what  # named in errors: "incident log", "destruction record"

    def read(self) -> list[dict]:
        """Every entry, oldest first; StoreError naming the first broken line."""
        entries, previous = [], GENESIS
        for number, line in enumerate(self._text().splitlines(), start=1):
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

    def append(self, entry: dict) -> None:
        """Add one entry after checking the chain (one write, fsynced: all of it or none)."""
        self.read()
        lines = self._text().splitlines()
        line = json.dumps(
            {**entry, "previous": _hash(lines[-1]) if lines else GENESIS}, sort_keys=True
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise StoreError(
                f"{self.path}: cannot write the {self.what} ({error.strerror})"
            ) from None

    def _text(self) -> str:
        if not self.path.exists():
            return ""
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError as error:
            raise StoreError(
                f"{self.path}: cannot read the {self.what} ({error.strerror})"
            ) from None


def _hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()
