"""The service's window on the identity vault (tier I, GOVERNANCE.md): pseudonym <-> person key,
and a person's current identity by person key.

Direct care's operational rows are keyed by person key (stable forever, untouched by a key
rotation); the warehouse and the URLs know pseudonyms. The map between them is built from the
vault's keys and the pseudonymisation key once per vault version (its files' signatures), and
holds no identifier. Identities are read from the vault at each request and never kept: one
long-lived DuckDB instance attaches the vault read only for the length of one look-up and
detaches it after (no instance start, no key read per request), so that a load (which writes the
vault in place) waits at most for the look-ups already running (identity/vault_lock.py); while a
writer opens or holds the vault, look-ups answer `VaultBusy`.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from joinedup.errors import StoreError
from joinedup.identity import encryption, keys, vault_lock
from joinedup.identity.vault import Identity, Vault


class VaultBusy(StoreError):
    """The vault cannot be read now (a load or a key rotation is writing it)."""


def _signature(path: Path) -> tuple:
    out = []
    for part in (path, Path(f"{path}.wal"), keys.key_file_for(path)):
        try:
            s = part.stat()
            out.append((s.st_ino, s.st_mtime_ns, s.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


class Directory:
    def __init__(self, vault_path: str | Path, key_file: Path | None = None) -> None:
        self.path = Path(vault_path)
        self.key_file = key_file  # the vault's encryption key file the register names
        self._lock = threading.Lock()  # the map
        self._vault_lock = threading.Lock()  # the instance: one attachment at a time
        self._con: duckdb.DuckDBPyConnection | None = None
        self._encrypted: bool | None = None  # whether the instance was started for a vault key
        self._signature: tuple | None = None
        self._to_key: dict[str, int] = {}
        self._to_pseudonym: dict[int, str] = {}
        self._merged: dict[int, int] = {}  # a merged person's key -> whom they became
        self.version = 0  # changes with each rebuilt map

    @contextmanager
    def _attached(self) -> Iterator[Vault]:
        """The vault, attached read only for one look-up (VaultBusy while a writer has it)."""
        with self._vault_lock, ExitStack() as stack:
            if vault_lock.writer_waiting(self.path):
                raise VaultBusy(f"{self.path}: the identity vault is being updated")
            seal = encryption.configured(self.key_file)
            if self._con is None or self._encrypted != (seal is not None):
                if self._con is not None:
                    self._con.close()
                self._con, self._encrypted = encryption.connect(seal), seal is not None
            try:
                vault = stack.enter_context(Vault.attached(self._con, self.path, seal))
            except StoreError as error:
                if encryption.held_by_another(error):
                    raise VaultBusy(f"{self.path}: the identity vault is being updated") from None
                raise
            yield vault

    def _refresh(self) -> None:
        """Rebuild the map when the vault or its key changed (a load, a merge, a rotation)."""
        signature = _signature(self.path)
        if signature == self._signature:
            return
        try:
            with self._attached() as vault:  # held only to read the keys
                pairs, fingerprint, seal = vault.people_keys(), vault.key_fingerprint, vault.seal
        except VaultBusy:
            if self._signature is not None:  # a load is writing: the last map still holds
                return
            raise
        key = keys.load_secret(keys.PSEUDO_KEY, self.path, fingerprint, False, seal)
        finals = sorted({final for _, final in pairs})
        self._merged = {k: final for k, final in pairs if k != final}
        self._to_pseudonym = keys.pseudo_ids(key, finals)
        self._to_key = {p: k for k, p in self._to_pseudonym.items()}
        self._signature = signature
        self.version += 1

    def person_key(self, pseudonym: str) -> int | None:
        """The person key of a warehouse pseudonym (None: nobody the vault knows)."""
        with self._lock:
            self._refresh()
            return self._to_key.get(pseudonym)

    def person_keys(self, pseudonyms: list[str]) -> dict[str, int]:
        with self._lock:
            self._refresh()
            return {p: self._to_key[p] for p in pseudonyms if p in self._to_key}

    def pseudonyms(self, person_keys: list[int]) -> dict[int, str]:
        """Today's pseudonym of each person key (a merged person's: of whom they became)."""
        with self._lock:
            self._refresh()
            out = {}
            for k in person_keys:
                final = self._merged.get(int(k), int(k))
                if final in self._to_pseudonym:
                    out[int(k)] = self._to_pseudonym[final]
            return out

    def merged(self) -> tuple[int, dict[int, int]]:
        """(version, {merged person's key: the key of whom they became})."""
        with self._lock:
            self._refresh()
            return self.version, dict(self._merged)

    def identities(self, person_keys: list[int]) -> dict[int, Identity]:
        """Current identities, read from the vault now (VaultBusy while it is being written)."""
        if not person_keys:
            return {}
        with self._attached() as vault:
            return vault.identities(person_keys)

    def sharing(
        self, person_keys: list[int], family_name: str | None, postcode: str | None
    ) -> set[int]:
        """Which of these people share the given family name or postcode (only the fact)."""
        if not person_keys or not (family_name or postcode):
            return set()
        with self._attached() as vault:
            return vault.sharing(person_keys, family_name, postcode)

    def close(self) -> None:
        with self._vault_lock:
            if self._con is not None:
                self._con.close()
                self._con = None
