"""Progress for long work, on stderr so that stdout stays clean for JSON and CSV output."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Prints 'label: step i/n (elapsed)' lines; quiet when disabled (tests, --quiet)."""

    def __init__(self, label: str, total: int | None = None, enabled: bool = True) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()
        self.done = 0

    def step(self, what: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        of = f"/{self.total}" if self.total else ""
        elapsed = time.monotonic() - self.started
        say(f"{self.label}: {self.done}{of} {what} ({elapsed:.1f}s)")

    def note(self, detail: str) -> None:
        """An indented detail line under the last step (quiet when disabled)."""
        say(f"  {detail}", self.enabled)


def say(line: str, enabled: bool = True) -> None:
    """One progress line on stderr (never an answer: those go to stdout from a command)."""
    if enabled:
        print(line, file=sys.stderr, flush=True)


@contextmanager
def stage(label: str, enabled: bool = True) -> Iterator[None]:
    """Announce a stage and how long it took."""
    started = time.monotonic()
    say(f"{label}...", enabled)
    yield
    say(f"{label}: done in {time.monotonic() - started:.1f}s", enabled)
