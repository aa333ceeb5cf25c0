"""Encryption at rest of the identity vault and of its two secret files (docs/encryption.md).

The vault key is kept outside both stores: `JOINEDUP_VAULT_KEY` (hex), else the key file the
governance register names (`vault_encryption: {key_file: PATH}`, owner-only, hex). With a vault
key the vault is a DuckDB database encrypted by DuckDB (AES-GCM per block; its WAL and temporary
files too), and `<vault>.key` and `<vault>.rowkey` are small DuckDB databases encrypted with the
same key, each holding its secret. Without one, all three stay as before (plain).

Never log or print a key: messages name only where it came from (`source`).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from joinedup import duck
from joinedup.errors import StoreError
from joinedup.identity import vault_lock

KEY_ENV = "JOINEDUP_VAULT_KEY"
NEW_KEY_ENV = "JOINEDUP_VAULT_KEY_NEW"
MIN_KEY_BYTES = 16
REGISTER_KEY = "vault_encryption.key_file"
ENCRYPT_COMMAND = "joinedup vault-key encrypt"
ROTATE_COMMAND = "joinedup vault-key rotate"


@dataclass(frozen=True)
class VaultKey:
    secret: str = field(repr=False)  # hex, as DuckDB's ENCRYPTION_KEY
    source: str  # the variable or the file it came from, for messages


def configured(key_file: Path | None = None) -> VaultKey | None:
    """The vault key from the environment, else from the register's key file, else None."""
    value = os.environ.get(KEY_ENV, "").strip()
    if value:
        return parse(value, KEY_ENV)
    return read_key_file(key_file) if key_file is not None else None


def new_key(key_file: Path | None) -> VaultKey:
    """The key a rotation moves to: `JOINEDUP_VAULT_KEY_NEW`, else `<key file>.new` (made now
    with a random key, kept until the rotation is done)."""
    value = os.environ.get(NEW_KEY_ENV, "").strip()
    if value:
        return parse(value, NEW_KEY_ENV)
    if key_file is None or os.environ.get(KEY_ENV, "").strip():
        raise StoreError(f"set {NEW_KEY_ENV} to the new vault key (hex) to rotate to")
    pending = pending_file(key_file)
    if not pending.exists():
        write_new_file(pending, secrets.token_bytes(32).hex() + "\n")
    return read_key_file(pending)


def pending_file(key_file: Path) -> Path:
    return Path(f"{key_file}.new")


def parse(text: str, source: str) -> VaultKey:
    try:
        length = len(bytes.fromhex(text))
    except ValueError:
        raise StoreError(f"{source}: the vault key is not hexadecimal") from None
    if length < MIN_KEY_BYTES:
        raise StoreError(f"{source}: the vault key is shorter than {MIN_KEY_BYTES} bytes")
    return VaultKey(text.lower(), source)


def read_key_file(path: Path) -> VaultKey:
    if not path.is_file():
        raise StoreError(f"{path}: no vault key file here (named by the register's {REGISTER_KEY})")
    check_owner_only(path, "vault key")
    return parse(path.read_text().strip(), str(path))


def check_owner_only(path: Path, what: str) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"{path}: {what} file is readable by group or others (mode"
            f" {stat.S_IMODE(mode):o}); restrict it with: chmod 600 {path}"
        )


def write_new_file(path: Path, text: str) -> None:
    """Create `path` owner-only with `text`, complete before it appears; refuse to replace one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = _staging_name(path)
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staged, path)  # atomic, and fails if another process got there first
    finally:
        os.unlink(staged)


# --- DuckDB -------------------------------------------------------------------------------------


def attach(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    alias: str,
    key: VaultKey | None,
    read_only: bool = False,
    what: str = "identity vault",
) -> None:
    """ATTACH `path` as `alias`, encrypted with `key` (or plain); a refusal is one line. A
    writable ATTACH waits for the service's read-only look-ups to finish (vault_lock.py)."""
    options = ["READ_ONLY"] if read_only else []
    if key is not None:
        if not read_only:
            writable_crypto(con)
        options.append(f"ENCRYPTION_KEY '{key.secret}'")
    clause = f" ({', '.join(options)})" if options else ""
    quoted = str(path.resolve()).replace("'", "''")
    sql = f"ATTACH '{quoted}' AS {alias}{clause}"
    try:
        if read_only:
            con.execute(sql)
        else:
            vault_lock.open_past_readers(path, lambda: con.execute(sql), held_by_another)
    except duckdb.Error as error:
        raise refusal(path, key, what, error) from None


def held_by_another(error: Exception) -> bool:
    """DuckDB refused the file because another process holds it."""
    message = str(error).lower()
    return "could not set lock" in message or "conflicting lock" in message


def connect(key: VaultKey | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB instance for the vault: with a key, the temporary files it spills are encrypted
    too. Set at start-up: DuckDB refuses the change once the shared spill folder holds any file."""
    if key is None:
        return duck.connect()
    return duck.connect(settings={"temp_file_encryption": "true", "force_mbedtls_unsafe": "true"})


def refusal(path: Path, key: VaultKey | None, what: str, error: Exception) -> StoreError:
    message = " ".join(str(error).split())
    if "Wrong encryption key" in message:
        return StoreError(
            f"{path}: the {what} does not open with the vault key from {key.source} (a wrong"
            f" key, or an interrupted rotation: run `{ROTATE_COMMAND}` again)"
        )
    if "without a key" in message:
        return StoreError(
            f"{path}: the {what} is encrypted; set {KEY_ENV} or name its key file in the"
            f" register ({REGISTER_KEY})"
        )
    if "is not encrypted" in message:
        return StoreError(
            f"{path}: the {what} is not encrypted, but a vault key is set ({key.source});"
            f" encrypt it with `{ENCRYPT_COMMAND}`"
        )
    if key is not None:
        message = message.replace(key.secret, "<key>")
    return StoreError(f"{path}: cannot open the {what} ({message})")


def writable_crypto(con: duckdb.DuckDBPyConnection) -> str:
    """Let DuckDB write encrypted files: OpenSSL through the httpfs extension where it is
    installed, else DuckDB's built-in mbedtls (docs/encryption.md says what that costs; `connect`
    allows it from the start for the temporary files)."""
    try:
        con.execute("LOAD httpfs")
        return "openssl"
    except duckdb.Error:
        con.execute("SET force_mbedtls_unsafe = true")
        return "mbedtls"


def opens_with(path: Path, key: VaultKey | None, what: str = "identity vault") -> bool:
    """Whether the DuckDB file at `path` opens with `key` (None: is plain)."""
    con = connect(key)
    try:
        attach(con, path, "probe", key, read_only=True, what=what)
        return True
    except StoreError as error:
        if "cannot open" in str(error):
            raise
        return False
    finally:
        con.close()


def is_database(path: Path) -> bool:
    """A DuckDB file (a sealed secret) rather than a hex text file."""
    with open(path, "rb") as handle:
        return handle.read(12)[8:12] == b"DUCK"


# --- sealed secret files ------------------------------------------------------------------------


def seal(path: Path, secret: bytes, key: VaultKey) -> None:
    """Create `path` as a DuckDB database encrypted with `key` holding `secret`; owner-only,
    complete before it appears, never replacing a file."""
    staged = _staging_name(path)
    _write_sealed(staged, secret, key)
    try:
        os.link(staged, path)
    finally:
        os.unlink(staged)


def unseal(path: Path, key: VaultKey | None, what: str) -> bytes:
    if key is None:
        raise StoreError(
            f"{path}: the {what} file is encrypted; set {KEY_ENV} or name its key file in the"
            f" register ({REGISTER_KEY})"
        )
    con = connect(key)
    try:
        attach(con, path, "sealed", key, read_only=True, what=f"{what} file")
        return bytes.fromhex(con.execute("SELECT value FROM sealed.secret").fetchone()[0])
    finally:
        con.close()


def reseal(path: Path, secret: bytes, key: VaultKey) -> None:
    """Replace `path` by `secret` sealed with `key`, atomically."""
    staged = _staging_name(path)
    _write_sealed(staged, secret, key)
    os.replace(staged, path)
    _sync_folder(path)


def _write_sealed(staged: Path, secret: bytes, key: VaultKey) -> None:
    umask = os.umask(0o077)
    con = connect(key)
    try:
        attach(con, staged, "sealed", key, what="secret file")
        con.execute("CREATE TABLE sealed.secret (value VARCHAR NOT NULL)")
        con.execute("INSERT INTO sealed.secret VALUES (?)", [secret.hex()])
        con.execute("DETACH sealed")
    finally:
        con.close()
        os.umask(umask)
    _fsync(staged)


def reencrypt(
    path: Path, old: VaultKey | None, new: VaultKey, what: str = "identity vault"
) -> None:
    """Replace the DuckDB file at `path` (under `old`, None: plain) by a copy under `new`.
    The copy is written beside it and renamed over it: a kill leaves one or the other."""
    staged = Path(f"{path}.rekey")
    for stale in (staged, Path(f"{staged}.wal")):
        stale.unlink(missing_ok=True)
    umask = os.umask(0o077)
    con = connect(new)
    try:
        attach(con, path, "old", old, what=what)
        con.execute("CHECKPOINT old")  # nothing left in its WAL for the new file to miss
        attach(con, staged, "new", new, what=what)
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
        os.umask(umask)
    _fsync(staged)
    os.replace(staged, path)
    _sync_folder(path)


def _staging_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{secrets.token_hex(6)}"


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_folder(path: Path) -> None:
    _fsync(path.parent)
