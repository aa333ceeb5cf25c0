"""The service's window on the identity vault (tier I, GOVERNANCE.md): pseudonym <-> person key,
and a person's current identity by person key.

Direct care's operational rows are keyed by person key (stable forever, untouched by a key
rotation); the warehouse and the URLs know pseudonyms. The map between them is built from the
vault's keys and the pseudonymisation key once per vault version (its files' signatures), and
holds no identifier. Identities are read from the vault at each request and never kept: the vault
is opened read only for the length of one look-up, so that a load (which writes the vault in
place) is never blocked by the service; while a load holds it, look-ups answer `VaultBusy`.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from joinedup.errors import StoreError
from joinedup.identity import keys
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
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._to_key: dict[str, int] = {}
        self._to_pseudonym: dict[int, str] = {}
        self._merged: dict[int, int] = {}  # a merged person's key -> whom they became
        self.version = 0  # changes with each rebuilt map

    def _open(self) -> Vault:
        try:
            return Vault.open(self.path, key_file=self.key_file, read_only=True)
        except StoreError as error:
            if "lock" in str(error).lower():
                raise VaultBusy(f"{self.path}: the identity vault is being updated") from None
            raise

    def _refresh(self) -> None:
        """Rebuild the map when the vault or its key changed (a load, a merge, a rotation)."""
        signature = _signature(self.path)
        if signature == self._signature:
            return
        try:
            vault = self._open()
        except VaultBusy:
            if self._signature is not None:  # a load is writing: the last map still holds
                return
            raise
        with vault:
            pairs = vault.people_keys()
            finals = sorted({final for _, final in pairs})
            table = vault.pseudo_id_table(finals).to_pydict()
        to_pseudonym = dict(zip(table["person_key"], table["pseudo_id"], strict=True))
        self._merged = {k: final for k, final in pairs if k != final}
        self._to_pseudonym = to_pseudonym
        self._to_key = {p: k for k, p in to_pseudonym.items()}
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
        with self._open() as vault:  # its own connection: requests do not wait for each other
            return vault.identities(person_keys)

    def sharing(
        self, person_keys: list[int], family_name: str | None, postcode: str | None
    ) -> set[int]:
        """Which of these people share the given family name or postcode (only the fact)."""
        if not person_keys or not (family_name or postcode):
            return set()
        with self._open() as vault:
            return vault.sharing(person_keys, family_name, postcode)
