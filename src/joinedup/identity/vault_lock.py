"""A writer of the identity vault gets past its readers.

The service reads the vault only for the length of one look-up (milliseconds, identity/
directory.py). DuckDB refuses to open a file for writing while any process has it attached, so a
writer (a load, a review decision, a key rotation) announces itself by holding an exclusive lock
on `<vault>.writer` while it opens the vault, and retries the open until the look-ups already
running have detached; a reader that finds the announcement answers busy at once instead of
attaching. A killed writer's lock is released by the kernel, so nothing is left held.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

WAIT_SECONDS = 5.0  # for the look-ups already running (each holds the vault for milliseconds)
RETRY_SECONDS = 0.01


def announcement(path: Path) -> Path:
    path = Path(path).resolve()
    return path.with_name(path.name + ".writer")


def writer_waiting(path: Path) -> bool:
    """Whether a writer is opening the vault now (readers then stay away)."""
    try:
        fd = os.open(announcement(path), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken
    return False


@contextmanager
def announced(path: Path) -> Iterator[None]:
    """Hold the writer's announcement (waiting for another writer's to end)."""
    fd = os.open(announcement(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def open_past_readers(path: Path, attach: Callable[[], None], held: Callable[[Exception], bool]):
    """Run `attach` (a writable ATTACH of the vault) under the announcement, again while it
    fails because a reader still holds the file (`held(error)`), for up to WAIT_SECONDS."""
    with announced(path):
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                return attach()
            except Exception as error:
                if not held(error) or time.monotonic() > deadline:
                    raise
            time.sleep(RETRY_SECONDS)
