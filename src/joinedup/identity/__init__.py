"""Identity: link every record to one person, keep identifiers in the vault, pseudonymise.

`Vault.open(path)` opens the identity vault; `vault.resolve(records)` links identifier records
and returns person keys and pseudo_ids (see vault.py; its linkage engine is vault_linkage.py, private to it).
"""

from joinedup.identity.vault import Vault

__all__ = ["Vault"]
