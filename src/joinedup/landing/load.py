"""`joinedup load DIR --warehouse W`: land an area's feed files, checked, linked and pseudonymised.

One load is one warehouse transaction (with `--engine spark`, one new snapshot of the Parquet
warehouse folder, engine/parquet.py): a load that fails or is killed leaves the warehouse as it
was. The vault (quarantine, identity) is written before the warehouse commits; both writes are
idempotent, so running the load again gives the same result. A file already loaded (same SHA-256)
is skipped, so loading the same files twice changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup import duck
from joinedup.contract import Feed
from joinedup.engine import landing as on_engine
from joinedup.engine import parquet
from joinedup.errors import BadInput, StoreError
from joinedup.governance import retention
from joinedup.governance.register import load_register
from joinedup.identity import keys
from joinedup.identity.vault import QUARANTINE_COLUMNS, Vault, holds_a_vault, warehouse_binding
from joinedup.landing import files, row_ids, write
from joinedup.landing.files import FeedFile, Header
from joinedup.landing.records import (
    postcode_key_sql,
    record_id_sql,
    record_token_sql,
    records_sql,
    row_key_sql,
)
from joinedup.landing.rules import compact_nhs_number_sql, literal, nhs_number_valid_sql, quote
from joinedup.landing.validate import extra_values_sql, find_reasons, raw_values_sql, staged_sql
from joinedup.progress import Progress, say, stage
from joinedup.warehouse import schema, store

RAW, REASONS = "raw_file", "file_reasons"
WRITE_FAILURES = (duckdb.IOException, duckdb.FatalException, OSError)
MESSAGES_PER_FILE = 3  # rejection messages printed per file; the quality report has them all
REJECTION_COLUMNS = "feed VARCHAR, file VARCHAR, line BIGINT, column_name VARCHAR, rule VARCHAR"


@dataclass
class FileOutcome:
    file: FeedFile
    sha256: str
    status: str  # loaded, rejected (whole file) or already_loaded
    problem: str | None = None
    extra_columns: tuple[str, ...] = ()
    rows_read: int = 0
    rows_rejected: int = 0
    nhs_number_present: int | None = None
    nhs_number_valid: int | None = None
    messages: list[str] = field(default_factory=list)
    rows_expired: int = 0  # accepted, but past a retention cut-off already applied: not landed

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected

    def summary(self) -> FileSummary:
        return FileSummary(self.file.name, self.file.feed.name, self.status, self.problem,
                           list(self.extra_columns), self.rows_read, self.rows_accepted,
                           self.rows_rejected)  # fmt: skip


@dataclass(frozen=True)
class FileSummary:
    """One file of a load, in counts only."""

    file: str
    feed: str
    status: str  # loaded, rejected (whole file) or already_loaded
    problem: str | None
    extra_columns: list[str]
    rows_read: int
    rows_accepted: int
    rows_rejected: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, in counts only (no values): `files` has one entry per file, in name
    order; the row counts are of the files landed by this load (not those already loaded)."""

    as_of: str
    seconds: float
    files: list[FileSummary]
    files_loaded: int
    files_rejected: int
    files_already_loaded: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_expired: int
    skipped_feeds: list[str]  # no agreement active on as_of
    skipped_files: list[dict]  # file, reason: not a contract file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Chosen:
    """The files a load lands, and what it leaves aside."""

    found: list[FeedFile]
    skipped_feeds: list[str]
    skipped_files: list[dict]
    minimal: set[str]  # feeds restricted to the minimal identifiers
    reload: set[str]


def load_paths(
    directory: str | Path,
    warehouse_path: str | Path,
    vault_path: str | Path | None = None,
    as_of: dt.date | None = None,
    progress: bool = True,
    register_path: str | Path | None = None,
    reload: Sequence[str] = (),
    engine: str = "duckdb",
) -> LoadSummary:
    """`load_area` on the stores at these paths (the command's entry; the vault defaults to
    vault.duckdb beside the warehouse). The folder, the register and `reload` are checked before
    either store is opened, so that bad input creates neither; `seconds` counts the whole load,
    the warehouse's copy and swap too."""
    started = time.monotonic()
    directory = Path(directory)
    as_of = as_of or dt.date.today()
    register = None if register_path is None else load_register(register_path)
    _choose(directory, as_of, register, reload)
    with opened(warehouse_path, vault_path, register, engine) as (con, vault):
        summary = load_area(directory, con, vault, as_of, progress, register, reload, engine)
    return replace(summary, seconds=round(time.monotonic() - started, 2))


@contextmanager
def opened(
    warehouse_path: str | Path,
    vault_path: str | Path | None = None,
    register=None,
    engine: str = "duckdb",
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Vault]]:
    """The warehouse (through `store.writing`, or, for a Parquet folder, an existing one or
    any with --engine spark, as its next snapshot through `parquet.writing`: committed when the
    block ends cleanly) and its vault, each capped at the load's memory limit, checked to
    belong together; the vault's key file from the register. A write failure is a
    `StoreError`: nothing changed."""
    warehouse_path = Path(warehouse_path)
    vault_path = Path(vault_path) if vault_path else warehouse_path.parent / "vault.duckdb"
    key_file = register.vault_key_file if register is not None else None
    _keep_apart(warehouse_path, vault_path, key_file)
    _make_folder(warehouse_path)
    memory = duck.load_memory_limit()
    if engine == "spark" or warehouse_path.is_dir():
        writing = partial(parquet.writing, memory_limit=memory)
    else:
        writing = partial(store.writing, create=True)
    try:
        with writing(warehouse_path) as con:
            duck.limit_memory(con, memory)
            _not_a_vault(con, warehouse_path)
            if warehouse_binding(con) is not None and not vault_path.exists():
                raise StoreError(
                    f"{vault_path}: no identity vault here, and {warehouse_path} has one"
                )
            with Vault.open(vault_path, key_file=key_file, memory_limit=memory) as vault:
                vault.check_warehouse(con, warehouse_path)
                yield con, vault
    except WRITE_FAILURES as error:  # a full disk, an I/O error: the store's problem, not a bug
        reason = " ".join(str(error).split())[:300]
        raise StoreError(f"{warehouse_path}: cannot write ({reason}); nothing changed") from None
    except duckdb.OutOfMemoryException:  # DuckDB's message is advice for its own settings
        raise StoreError(
            f"{warehouse_path}: the load ran out of memory (JOINEDUP_LOAD_MEMORY={memory} per"
            " DuckDB instance); the warehouse is as it was: raise it, or free memory, and load"
            " again"
        ) from None


def load_area(
    directory: str | Path,
    con: duckdb.DuckDBPyConnection,
    vault: Vault,
    as_of: dt.date | None = None,
    progress: bool = True,
    register=None,
    reload: Sequence[str] = (),
    engine: str = "duckdb",
) -> LoadSummary:
    """Land every contract file in `directory` into the open warehouse `con` (a writer's
    connection, see `opened`) through the open `vault`; returns a summary (counts only, no
    values). With a governance `register` (a `Register`), only feeds with an agreement active
    on `as_of` are landed. `reload`: names of files (relative to `directory`) to land again
    though already loaded. `engine` spark: the checks and the probabilistic linkage run on
    Spark (engine/landing.py); the writes are the same, in the working copy of a Parquet
    warehouse (`opened`)."""
    directory = Path(directory)
    as_of = as_of or dt.date.today()
    started = time.monotonic()
    chosen = _choose(directory, as_of, register, reload)
    with on_engine.linkage(engine):
        outcomes = _land(
            con, chosen.found, vault, as_of, progress, chosen.reload, chosen.minimal,
            on_engine.checks(engine),
        )  # fmt: skip
    seconds = time.monotonic() - started
    return _summary(outcomes, as_of, seconds, chosen.skipped_feeds, chosen.skipped_files)


def _choose(directory: Path, as_of: dt.date, register, reload: Sequence[str]) -> _Chosen:
    found, skipped_files = files.discover(directory)
    found, skipped, minimal = _agreed(found, register, as_of)
    skipped_files = [{"file": s.name, "reason": s.reason} for s in skipped_files]
    return _Chosen(found, skipped, skipped_files, minimal, _reloaded(found, reload, directory))


def _reloaded(found: list[FeedFile], names: Sequence[str], directory: Path) -> set[str]:
    """The names, as recorded, of the files to land again; each must be in the folder."""
    by_name = {f.name: f.name for f in found} | {str(f.path): f.name for f in found}
    chosen = set()
    for name in names:
        if str(name) not in by_name and str(directory / name) not in by_name:
            raise BadInput(f"--reload {name}: not a feed file of {directory}")
        chosen.add(by_name.get(str(name)) or by_name[str(directory / name)])
    return chosen


def _make_folder(warehouse_path: Path) -> None:
    try:
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"{warehouse_path}: cannot create its folder ({error.strerror})") from None


def _agreed(found: list[FeedFile], register, as_of: dt.date) -> tuple[list, list, set]:
    """The files whose feed an active agreement covers, the feeds skipped for want of one, and
    the feeds restricted to the minimal identifiers."""
    if register is None:
        return found, [], set()
    from joinedup.governance.register import person_level_feeds

    agreed = register.active_feeds(as_of)
    keep = [f for f in found if f.feed.name in agreed or f.feed.name not in person_level_feeds()]
    skipped = sorted({f.feed.name for f in found} - {f.feed.name for f in keep})
    return keep, skipped, register.minimal_feeds(as_of)


def _keep_apart(warehouse_path: Path, vault_path: Path, key_file: Path | None = None) -> None:
    """Identities never beside the pseudonymised tables: the vault is another file, and
    neither it nor a key file is inside a warehouse folder (a cluster is given the folder
    whole, docs/spark.md)."""
    same = warehouse_path.resolve() == vault_path.resolve() or (
        warehouse_path.exists() and vault_path.exists() and warehouse_path.samefile(vault_path)
    )
    if same:
        raise StoreError(f"{vault_path}: the vault must be another file than the warehouse")
    secrets = [keys.secret_file(kind, vault_path) for kind in (keys.PSEUDO_KEY, keys.ROW_KEY)]
    for held in [vault_path, *secrets, *([key_file] if key_file else [])]:
        if held.resolve().is_relative_to(warehouse_path.resolve()):
            raise StoreError(
                f"{held}: inside the warehouse folder {warehouse_path}; keep the vault and its"
                " keys apart from the warehouse"
            )


def _not_a_vault(con, warehouse_path: Path) -> None:
    if holds_a_vault(con):
        raise StoreError(f"{warehouse_path}: this is an identity vault, not a warehouse")


def _land(
    con,
    found: list[FeedFile],
    vault: Vault,
    as_of: dt.date,
    progress: bool,
    reload: set[str],
    minimal: set[str] = frozenset(),
    checks=find_reasons,
) -> list[FileOutcome]:
    secret = vault.row_secret
    outcomes, new = _split_new_files(con, found, reload)
    if not new:
        return outcomes
    started = dt.datetime.now()
    # Staging uses temp tables only, outside any transaction (so rowid + 2 is the line); the
    # warehouse itself changes only in the one transaction of _commit.
    con.execute(f"CREATE OR REPLACE TEMP TABLE quarantine_rows ({QUARANTINE_COLUMNS})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_rejections ({REJECTION_COLUMNS})")
    steps = Progress("load", total=len(new), enabled=progress)
    landed, cutoffs = [], retention.cutoffs_in(con)
    for seq, (file, sha) in enumerate(new):
        minimised = file.feed.name in minimal
        landed.append(_stage_file(con, file, sha, seq, as_of, secret, minimised, checks))
        landed[-1].rows_expired = _drop_expired(con, file.feed, seq, cutoffs.get(file.feed.name))
        _report(steps, landed[-1])
    feeds = _feeds_with_rows(landed)
    _through_vault(con, vault, feeds, progress)
    with stage("load: writing the warehouse", enabled=progress):
        _commit(con, vault, feeds, landed, started, as_of)
    return outcomes + landed


def _split_new_files(
    con, found: list[FeedFile], reload: set[str]
) -> tuple[list[FileOutcome], list]:
    """Files already loaded (same SHA-256 for the same feed, also within this folder; identical
    bytes sent for two feeds are two files), and (file, sha) of the rest and of those reloaded."""
    known = _loaded_files(con)
    already, new = [], []
    for file in found:
        sha = files.sha256_of(file.path)
        if (sha, file.feed.name) in known and file.name not in reload:
            already.append(FileOutcome(file, sha, "already_loaded"))
        else:
            known.add((sha, file.feed.name))
            new.append((file, sha))
    return already, new


def _commit(
    con,
    vault: Vault,
    feeds: list[Feed],
    landed: list[FileOutcome],
    started: dt.datetime,
    as_of: dt.date,
) -> None:
    """Every warehouse change of the load, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        write.create_tables(con)
        write.number_people(con)
        vault.bind_warehouse(con)
        row_ids.number(con, vault, feeds)
        load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]
        _write_warehouse(con, feeds, load_id, as_of)
        _write_metadata(con, landed, load_id, started, as_of)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed commit has already ended it
            con.execute("ROLLBACK")
        raise


def _loaded_files(con) -> set[tuple[str, str]]:
    """(SHA-256, feed) of every file the warehouse has loaded (none for a new warehouse)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND table_name = 'load_files'"
        " AND database_name = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return set()
    return {
        (sha, feed) for sha, feed in con.execute("SELECT sha256, feed FROM load_files").fetchall()
    }


def _stage_file(
    con,
    file: FeedFile,
    sha: str,
    seq: int,
    as_of: dt.date,
    secret: bytes,
    minimal: bool = False,
    checks=find_reasons,
) -> FileOutcome:
    feed = file.feed
    try:
        header = files.match_header(feed, files.read_header(con, file), secret)
        rows = files.stage_raw(con, file, header, RAW)
    except files.UnreadableFile as error:
        return _unreadable(con, file, sha, error.reason)
    checks(con, feed, header, RAW, as_of, REASONS)
    con.execute(
        "INSERT INTO new_rejections SELECT ?, ?, line, column_name, rule FROM file_reasons",
        [feed.name, file.name],
    )
    if minimal:  # checked as sent, then nothing of the discarded identifiers goes further
        _minimise(con, header)
    _quarantine_rows(con, file, sha, header)
    rejected = con.execute("SELECT count(DISTINCT line) FROM file_reasons").fetchall()[0][0]
    outcome = FileOutcome(
        file,
        sha,
        "loaded",
        extra_columns=header.extra,
        rows_read=rows,
        rows_rejected=rejected,
        messages=_messages(con, file),
    )
    if header.acceptable:
        _accept_rows(con, feed, header, seq, file.name, secret)
        outcome.nhs_number_present, outcome.nhs_number_valid = _nhs_number_counts(con, feed, seq)
    else:
        outcome.status = "rejected"
        outcome.problem = "; ".join(text for _, _, text in header.problems())
    return outcome


MINIMAL_DISCARDS = ("given_name", "family_name")  # and the day of the date of birth


def _minimise(con, header: Header) -> None:
    """The minimal identifiers of an agreement (DH proposal: NHS number, postcode, birth year
    and month, sex): names emptied and the date of birth cut to its month (day 01), in the staged
    file, before quarantine, acceptance and linkage."""
    cells = []
    for position, name in header.columns.items():
        if name in MINIMAL_DISCARDS:
            cells.append(f"c{position} = NULL")
        elif name == "date_of_birth":
            cells.append(f"c{position} = CASE WHEN regexp_matches(c{position}, '^\\s*[0-9]{{4}}-[0-9]{{2}}')"
                         f" THEN left(trim(c{position}), 7) || '-01' END")  # fmt: skip
    if cells:
        con.execute(f"UPDATE {RAW} SET {', '.join(cells)}")


def _unreadable(con, file: FeedFile, sha: str, reason: str) -> FileOutcome:
    """A file rejected whole before any row could be read: each record it holds is still
    counted, and rejected (column _file, rule unreadable_file)."""
    records = files.count_records(file)
    con.execute(
        "INSERT INTO new_rejections SELECT ?, ?, range + 2, '_file', 'unreadable_file'"
        " FROM range(?)",
        [file.feed.name, file.name, records],
    )
    return FileOutcome(
        file, sha, "rejected", problem=reason, rows_read=records, rows_rejected=records
    )


def _quarantine_rows(con, file: FeedFile, sha: str, header: Header) -> None:
    """Keep each rejected row as sent, with every reason, and the extra cells of accepted rows,
    for the vault's quarantine."""
    if header.extra and header.acceptable:
        con.execute(
            f"INSERT INTO quarantine_rows SELECT ?, ?, ?, rowid + 2, 'extra_columns',"
            f" {extra_values_sql(header)}, NULL FROM raw_file"
            " WHERE rowid + 2 NOT IN (SELECT line FROM file_reasons)",
            [sha, file.name, file.feed.name],
        )
    con.execute(
        f"INSERT INTO quarantine_rows SELECT ?, ?, ?, r.rowid + 2, 'rejected_row', {raw_values_sql(header)},"
        " f.reasons FROM raw_file r JOIN (SELECT line, to_json(list(struct_pack(column_name :="
        " column_name, rule := rule) ORDER BY column_name, rule)) AS reasons FROM file_reasons"
        " GROUP BY line) f ON f.line = r.rowid + 2",
        [sha, file.name, file.feed.name],
    )


def _messages(con, file: FeedFile) -> list[str]:
    """The first rejections as messages: file, line, column and rule, never the value."""
    first = con.execute(
        f"SELECT line, column_name, rule FROM file_reasons ORDER BY line, column_name, rule"
        f" LIMIT {MESSAGES_PER_FILE}"
    ).fetchall()
    return [
        f"{file.name} line {line}: column {column}: rule {rule}" for line, column, rule in first
    ]


def _accept_rows(con, feed: Feed, header: Header, seq: int, name: str, secret: bytes) -> None:
    derived = [f"{row_key_sql(feed, secret)} AS _row_key"]
    if feed.is_person_level:
        derived.append(f"{record_id_sql(feed)} AS _record_id")
    if "postcode" in feed.column_names:
        derived.append(f"{postcode_key_sql(feed, secret)} AS _postcode_key")
    tokens = [
        f"{record_token_sql(c, secret)} AS {quote(c)}"
        for c in feed.column_names
        if c in schema.SOURCE_RECORD_IDS
    ]
    replace = f" REPLACE ({', '.join(tokens)})" if tokens else ""
    select = (
        f"SELECT {seq} AS _file_seq, {literal(name)} AS _source_file,"
        f" s.* EXCLUDE (_overflow, _problem){replace}, {', '.join(derived)}"
        f" FROM ({staged_sql(feed, header, RAW)}) s"
        f" WHERE s._line NOT IN (SELECT line FROM {REASONS})"
    )
    table = write.accepted_table(feed)
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} AS {select} LIMIT 0")
    con.execute(f"INSERT INTO {table} {select}")


def _drop_expired(con, feed: Feed, seq: int, cutoff: dt.date | None) -> int:
    """Drop this file's accepted rows that retention has already destroyed (an old file sent
    again must not bring them back); returns how many."""
    table = write.accepted_table(feed)
    if cutoff is None or not store.has_table(con, table):
        return 0
    where = f"_file_seq = {seq} AND {retention.expired_sql(feed, cutoff, typed=False)}"
    expired = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    con.execute(f"DELETE FROM {table} WHERE {where}")
    return expired


def _nhs_number_counts(con, feed: Feed, seq: int) -> tuple[int | None, int | None]:
    """Accepted rows with an NHS number, and with a valid one (modulus 11)."""
    if "nhs_number" not in feed.column_names:
        return None, None
    compact = compact_nhs_number_sql(quote("nhs_number"))
    # Checked once per distinct number, then weighted by its rows: far fewer checks than rows.
    present, valid = con.execute(
        f"SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN {nhs_number_valid_sql('number')}"
        f" THEN n ELSE 0 END), 0) FROM (SELECT {compact} AS number, count(*) AS n"
        f" FROM {write.accepted_table(feed)} WHERE _file_seq = {seq} AND nhs_number IS NOT NULL"
        " GROUP BY 1) numbers"
    ).fetchall()[0]
    return int(present), int(valid)


def _report(steps: Progress, outcome: FileOutcome) -> None:
    steps.step(
        f"{outcome.file.name}: {outcome.rows_read} read, {outcome.rows_accepted} accepted,"
        f" {outcome.rows_rejected} rejected"
    )
    if outcome.problem:
        steps.note(f"{outcome.file.name}: file rejected: {outcome.problem}")
    if outcome.extra_columns:
        kept = ", ".join(outcome.extra_columns)
        steps.note(f"{outcome.file.name}: extra columns kept aside: {kept}")
    for message in outcome.messages if not outcome.problem else []:
        steps.note(message)
    if outcome.rows_rejected > len(outcome.messages) and not outcome.problem:
        steps.note("... see `joinedup quality` for every rejection")


def _feeds_with_rows(landed: list[FileOutcome]) -> list[Feed]:
    """Feeds with accepted rows in this load, in landing order."""
    names = {o.file.feed.name for o in landed if o.status == "loaded"}
    return [f for f in files.landing_order() if f.name in names]


def _through_vault(con, vault: Vault, feeds: list[Feed], progress: bool) -> None:
    """Quarantine the rejected rows and resolve every identifier record to its person."""
    quarantine = con.sql("SELECT * FROM quarantine_rows").to_arrow_reader(duck.batch_rows())
    vault.replace_quarantine(quarantine)
    person_feeds = [f for f in feeds if f.is_person_level]
    records = " UNION ALL ".join(records_sql(f, write.accepted_table(f)) for f in person_feeds)
    if not records:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE resolved (record_id VARCHAR, pseudo_id VARCHAR,"
            " link_method VARCHAR, person_date_of_birth DATE, person_sex VARCHAR)"
        )
        return
    # In batches both ways, so that neither side holds every record in Python at once.
    sent = _Counted(con.sql(records).to_arrow_reader(duck.batch_rows()))
    with vault.resolving(sent.reader, progress=progress) as answers:
        say(f"load: linked {sent.rows} identifier records", progress)
        con.register("resolved_batches", answers)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE resolved AS SELECT * FROM resolved_batches")
        finally:
            con.unregister("resolved_batches")
    answered = con.execute("SELECT count(DISTINCT record_id) FROM resolved").fetchall()[0][0]
    if answered != sent.rows:
        raise RuntimeError(f"identity resolved {answered} of {sent.rows} records")


class _Counted:
    """A record batch reader that counts the rows read through it."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.rows = 0
        self.reader = pa.RecordBatchReader.from_batches(reader.schema, self._batches(reader))

    def _batches(self, reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        for batch in reader:
            self.rows += batch.num_rows
            yield batch


def _write_warehouse(con, feeds: list[Feed], load_id: int, as_of: dt.date) -> None:
    for feed in feeds:
        if feed.is_reference:
            write.write_reference(con, feed)
            continue
        write.write_event_feed(con, feed, load_id)
        if feed.is_person_level:
            write.write_linkage_outcomes(con, feed, load_id)
    # Every person-level feed, landed now or before: a date of birth or an objection may arrive
    # after the rows it concerns.
    for feed in files.landing_order():
        if feed.is_person_level:
            write.refresh_ages(con, feed, load_id)
        write.apply_objection(con, feed, load_id, as_of, landed_now=feed in feeds)
    write.write_people(con)


def _write_metadata(
    con, landed: list[FileOutcome], load_id: int, started: dt.datetime, as_of: dt.date
) -> None:
    for o in landed:  # a file landed again replaces what its earlier load recorded of it
        earlier = "SELECT load_id FROM load_files WHERE feed = ? AND file = ? AND sha256 = ?"
        keys = [o.file.feed.name, o.file.name, o.sha256]
        con.execute(
            f"DELETE FROM rejections WHERE feed = ? AND file = ? AND load_id IN ({earlier})",
            keys[:2] + keys,
        )
        con.execute("DELETE FROM load_files WHERE feed = ? AND file = ? AND sha256 = ?", keys)
    con.execute("INSERT INTO rejections SELECT ?, * FROM new_rejections", [load_id])
    for o in landed:
        con.execute(
            "INSERT INTO load_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                o.file.feed.name,
                o.file.name,
                o.sha256,
                o.status,
                o.problem,
                list(o.extra_columns),
                o.rows_read,
                o.rows_accepted,
                o.rows_rejected,
                o.nhs_number_present,
                o.nhs_number_valid,
            ],
        )
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            started,
            dt.datetime.now(),
            as_of,
            sum(o.status == "loaded" for o in landed),
            sum(o.status == "rejected" for o in landed),
            sum(o.rows_read for o in landed),
            sum(o.rows_accepted for o in landed),
            sum(o.rows_rejected for o in landed),
        ],
    )


def _summary(
    outcomes: list[FileOutcome],
    as_of: dt.date,
    seconds: float,
    skipped_feeds: list[str],
    skipped_files: list[dict],
) -> LoadSummary:
    landed = [o for o in outcomes if o.status != "already_loaded"]
    outcomes = sorted(outcomes, key=lambda o: o.file.name)
    return LoadSummary(
        as_of=as_of.isoformat(),
        seconds=round(seconds, 2),
        files=[o.summary() for o in outcomes],
        files_loaded=sum(o.status == "loaded" for o in outcomes),
        files_rejected=sum(o.status == "rejected" for o in outcomes),
        files_already_loaded=sum(o.status == "already_loaded" for o in outcomes),
        rows_read=sum(o.rows_read for o in landed),
        rows_accepted=sum(o.rows_accepted for o in landed),
        rows_rejected=sum(o.rows_rejected for o in landed),
        rows_expired=sum(o.rows_expired for o in landed),
        skipped_feeds=skipped_feeds,
        skipped_files=skipped_files,
    )
