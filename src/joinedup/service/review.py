"""Identity review in the service (GOVERNANCE.md "Identity review without a human in the loop"):
off by default, so held pairs stay separate people; an agreement with `identity_review: true`
switches it on for its feed, and then the linkage officer (rule `review`) sees that feed's held
pairs, identities side by side and never any event data, and accepts or rejects each one.

The vault is opened per request and closed at once: a load holds it while it runs (then this
answers 503), and the service keeps no identity in memory.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from joinedup.errors import StoreError
from joinedup.governance.register import Register
from joinedup.identity import review
from joinedup.identity.vault import Vault

_LOCK = threading.Lock()  # one vault connection at a time in this process


class Unavailable(Exception):
    """The vault cannot be opened now (a load or another writer holds it)."""


def _open(vault: Path, register: Register) -> Vault:
    try:
        return Vault.open(vault, must_exist=True, key_file=register.vault_key_file)
    except StoreError:
        raise Unavailable(
            "The identity vault is in use (a load may be running): try again soon."
        ) from None


def queue(vault: Path, register: Register, day: dt.date) -> dict:
    """The held pairs of feeds whose agreement switches review on (none when review is off)."""
    feeds = register.review_feeds(day)
    if not feeds:
        return {"review": "off", "feeds": [], "pairs": []}
    with _LOCK:
        held = _open(vault, register)
        try:
            pairs = review.reviewable(held, feeds)
        finally:
            held.close()
    return {"review": "on", "feeds": sorted(feeds), "pairs": pairs}


def decide(vault: Path, warehouse: Path, register: Register, day: dt.date,
           review_id: int, decision: str) -> dict:  # fmt: skip
    """Accept (merge into the candidate; the warehouse rows follow) or reject one held pair of a
    feed under review. UserError when it is not such a pair; Unavailable when a store is busy."""
    feeds = register.review_feeds(day)
    with _LOCK:
        held = _open(vault, register)
        try:
            try:
                moved = review.decide(held, feeds, review_id, decision, warehouse)
            except StoreError:
                raise Unavailable(
                    "The warehouse is being changed (a load may be running): try again soon."
                ) from None
        finally:
            held.close()
    return {"review_id": review_id, "decision": f"{decision}ed", "warehouse_rows_moved": moved}
