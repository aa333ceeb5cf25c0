"""The one way to open a store file (the warehouse; later the vault): readers beside one writer.

- `reading(path)`: a read-only snapshot for one command. `Reader(path)`: for a long-running
  process (the web service); each `connection()` checks whether the file was replaced and, if so,
  opens the new one, closing the old once no request still uses it.
- `writing(path)`: a writer never changes the live file. It takes an exclusive lock (`W.lock`,
  fcntl; a second writer fails at once with one line, exit 5), copies W to `W.next` (a stale
  `W.next` left by a killed writer is discarded), changes `W.next`, checkpoints and closes it,
  fsyncs it and `os.replace`s it over W. A reader therefore sees the old file or the new one,
  never a half-written one, and a writer killed part way leaves W as it was.

Readers attach the file to their own in-memory DuckDB instance: DuckDB caches one instance per
path within a process, which would hand back the replaced file or refuse a second configuration.
Every instance gets the memory cap and spill folder of `joinedup.duck`. Every failure to open is a
`StoreError` (exit 5) worded as "<path>: cannot open the <what> (<DuckDB's message>)".
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from joinedup import duck
from joinedup.engine import engine_of
from joinedup.errors import StoreError
from joinedup.warehouse import pseudonyms

Connection = duckdb.DuckDBPyConnection


def _missing(path: Path, what: str) -> StoreError:
    return StoreError(f"{path}: no {what} here (run `joinedup load` first)")


def _cannot_open(path: Path, what: str, error: Exception, opened: Path | None = None) -> StoreError:
    message = " ".join(str(error).split())
    if opened is not None:  # DuckDB names the copy it opened; the user knows the store
        message = message.replace(str(opened.resolve()), str(path.resolve()))
    return StoreError(f"{path}: cannot open the {what} ({message})")


def check_tables(
    con: Connection, needed: Iterable[str], path: Path | None = None, what: str = "warehouse"
) -> None:
    """A StoreError naming the missing tables unless the store holds all of `needed`."""
    present = engine_of(con).tables()
    where = f"{path}: " if path else ""
    if missing := [table for table in needed if table not in present]:
        raise StoreError(
            f"{where}not a joinedup {what} (no table {', '.join(missing)}; run `joinedup load` first)"
        )
    if needed and what == "warehouse" and "person" in present:
        require_person_numbers(present, path)


def require_person_numbers(present: Iterable[str], path: Path | None = None) -> None:
    """A StoreError unless the warehouse holding tables `present` numbers its people."""
    if pseudonyms.TABLE not in present:
        where = f"{path}: " if path else ""
        raise StoreError(
            f"{where}made before person numbers; the next `joinedup load` that lands a file numbers them"
        )


def has_table(con: Connection, table: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0]
    )


def _signature(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def open_snapshot(
    path: str | Path, what: str = "warehouse", needed: Iterable[str] = (), encryption_key=None
) -> Connection:
    """A read-only connection to the file now at `path` (its own DuckDB instance);
    `encryption_key`: an encrypted vault's (identity/encryption.py)."""
    path = Path(path)
    if not path.is_file():
        raise _missing(path, what)
    from joinedup.identity import encryption

    con = encryption.connect(encryption_key)  # duck.connect() without a key
    try:
        if encryption_key is None:
            con.execute(f"ATTACH '{_quoted(path)}' AS store (READ_ONLY)")
        else:
            encryption.attach(con, path, "store", encryption_key, read_only=True, what=what)
        con.execute("USE store")
        check_tables(con, needed, path, what)
    except duckdb.Error as error:
        con.close()
        raise _cannot_open(path, what, error) from None
    except StoreError:
        con.close()
        raise
    return con


def _quoted(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


@contextmanager
def reading(
    path: str | Path, what: str = "warehouse", needed: Iterable[str] = (), encryption_key=None
) -> Iterator[Connection]:
    """A read-only snapshot of the store for the length of the block."""
    con = open_snapshot(path, what, needed, encryption_key)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writing(
    path: str | Path, what: str = "warehouse", create: bool = False, needed: Iterable[str] = ()
) -> Iterator[Connection]:
    """A read-write connection to a copy of the store, put in place when the block ends cleanly.

    `create`: start from an empty store when none exists yet (a first load)."""
    path = Path(path)
    if not create and not path.is_file():
        raise _missing(path, what)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path, what):
        staged = _next(path)
        _discard(staged)
        if path.is_file():
            shutil.copyfile(path, staged)
        with _staged(path, staged, what, needed) as con:
            yield con


@contextmanager
def reading_while_copying(
    path: str | Path, what: str = "warehouse", needed: Iterable[str] = ()
) -> Iterator[tuple[Connection, Callable[[], Connection]]]:
    """`writing` for a command that reads much and writes little (risk score): under the same
    lock it yields a read-only snapshot of the store to work on while the store is copied (and
    the copy flushed to disk) in the background, and `writer()`, which waits for the copy and
    opens it for the writes; the copy replaces the store when the block ends cleanly, as with
    `writing`. At 1.5 million people the copy takes about as long as the scoring."""
    path = Path(path)
    if not path.is_file():
        raise _missing(path, what)
    with _exclusive(path, what), reading(path, what, needed) as con:  # not a store: no copy
        staged = _next(path)
        _discard(staged)
        copy = _Copy(path, staged, what)
        copy.start()
        try:
            with ExitStack() as opened:
                copies: list[Connection] = []

                def writer() -> Connection:
                    if not copies:
                        copy.finish()
                        copies.append(opened.enter_context(_staged(path, staged, what, needed)))
                    return copies[0]

                yield con, writer
        finally:
            copy.join()
            _discard(staged)  # gone already when committed


class _Copy(threading.Thread):
    """The store copied to `staged` and flushed to disk, beside the work that reads it."""

    def __init__(self, path: Path, staged: Path, what: str) -> None:
        super().__init__(daemon=True)
        self.path, self.staged, self.what = path, staged, what
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            shutil.copyfile(self.path, self.staged)
            _flush(self.staged)
        except BaseException as error:  # re-raised by `finish`, in the caller's thread
            self.error = error

    def finish(self) -> None:
        self.join()
        if isinstance(self.error, OSError):  # a full disk, most likely
            raise StoreError(
                f"{self.path}: cannot copy the {self.what} ({self.error.strerror}); nothing changed"
            ) from None
        if self.error is not None:
            raise self.error


@contextmanager
def _staged(path: Path, staged: Path, what: str, needed: Iterable[str]) -> Iterator[Connection]:
    """The staged copy open for writing; checkpointed and swapped in when the block ends cleanly,
    discarded when it fails."""
    try:
        con = duck.connect(str(staged))
    except duckdb.Error as error:
        _discard(staged)
        raise _cannot_open(path, what, error, staged) from None
    try:
        check_tables(con, needed, path, what)
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        _discard(staged)
        raise
    con.close()
    _commit(staged, path)


def _next(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def _discard(staged: Path) -> None:
    for stale in (staged, staged.with_name(staged.name + ".wal")):
        stale.unlink(missing_ok=True)


def _flush(file: Path) -> None:
    fd = os.open(file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(staged: Path, path: Path) -> None:
    """Make the staged file durable, then swap it in atomically."""
    if staged.with_name(staged.name + ".wal").exists():  # CHECKPOINT + close leaves none
        raise StoreError(f"{path}: the new {path.name} was not fully written; nothing changed")
    _flush(staged)
    os.replace(staged, path)
    fsync(path.parent)


def fsync(path: Path) -> None:
    """Make a file's or a folder's contents (a folder's entries) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exclusive(path: Path, what: str):
    return exclusive(path.with_name(path.name + ".lock"), path, what)


@contextmanager
def exclusive(lock_path: Path, store: Path, what: str) -> Iterator[None]:
    """One writer of `store` at a time: a second fails at once, naming it."""
    with open(lock_path, "a+") as handle:  # closing it releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"{store}: another process is changing the {what}; try again when it has finished"
            ) from None
        yield


@dataclass
class _Snapshot:
    con: Connection
    signature: tuple[int, int, int]
    number: int = 0
    users: int = 0
    retired: bool = False


@dataclass
class Reader:
    """Read-only access for a long-running process: always the latest committed file.

    `with reader.connection() as con:` gives a cursor of the current snapshot; when the file at
    `path` was replaced since, a new snapshot is opened first and the old one is closed as soon
    as no block still uses it. Safe to share between threads (one cursor per block)."""

    path: Path
    what: str = "warehouse"
    needed: tuple[str, ...] = ()
    _current: _Snapshot | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self.versioned() as (cursor, _):
            yield cursor

    @contextmanager
    def versioned(self) -> Iterator[tuple[Connection, int]]:
        """`connection()` and the number of the snapshot it reads (1, 2, ...: one more each time
        the file was replaced), for caches kept per snapshot."""
        snapshot = self._acquire()
        cursor = snapshot.con.cursor()
        cursor.execute("USE store")  # a cursor does not inherit its parent's USE
        try:
            yield cursor, snapshot.number
        finally:
            cursor.close()
            self._release(snapshot)

    def _acquire(self) -> _Snapshot:
        with self._lock:
            current = self._current
            if current is None or self._replaced(current):
                # The signature is taken before attaching: a replace in between makes the next
                # use reopen again, never keeps an old file under a new signature.
                signature = _signature(self.path) if self.path.is_file() else (0, 0, 0)
                number = current.number + 1 if current is not None else 1
                fresh = _Snapshot(
                    open_snapshot(self.path, self.what, self.needed), signature, number
                )
                if current is not None:
                    current.retired = True
                    self._close_if_idle(current)
                self._current = current = fresh
            current.users += 1
            return current

    def _replaced(self, snapshot: _Snapshot) -> bool:
        try:
            return _signature(self.path) != snapshot.signature
        except FileNotFoundError:  # deleted by hand: keep serving the file already open
            return False

    def _release(self, snapshot: _Snapshot) -> None:
        with self._lock:
            snapshot.users -= 1
            self._close_if_idle(snapshot)

    @staticmethod
    def _close_if_idle(snapshot: _Snapshot) -> None:
        if snapshot.retired and snapshot.users == 0:
            snapshot.con.close()

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                self._close_if_idle(self._current)
                self._current = None
