"""The held pairs, identities side by side, and the reviewer's decision.

This is the vault context, the one place identities are shown. Accepting a pair merges the
provisional person into the candidate: every record of the provisional person moves to the
candidate, and with --warehouse their rows' pseudo_id follows. Rejecting makes the provisional
person permanent.

This module handles identifiable values: it returns them only as the answer to the reviewer
(review_command.py prints it), never to logs or errors.
"""

from __future__ import annotations

from pathlib import Path

from joinedup.errors import UserError
from joinedup.identity import repoint
from joinedup.identity.vault import Vault
from joinedup.warehouse import pseudonyms

SHOWN = ("feed", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode")


def held_pairs(vault: Vault) -> list[dict]:
    pairs = []
    for row in vault.held_reviews():
        review_id, weight, probability, candidate_key = row[:4]
        record, candidate = row[4:11], row[11:]
        pairs.append(
            {
                "review_id": review_id,
                "match_weight": round(weight, 2),
                "match_probability": round(probability, 4),
                "record": _identity(record),
                "candidate": {"person_key": candidate_key, **_identity(candidate)},
            }
        )
    return pairs


def _identity(values) -> dict:
    return {name: None if v is None else str(v) for name, v in zip(SHOWN, values, strict=True)}


def _held(vault: Vault, review_id: int) -> tuple[int, int]:
    found = vault.review(review_id)
    if found is None:
        raise UserError(f"review {review_id}: no such held pair (see joinedup review --vault)")
    status, candidate, provisional = found
    if status != "held":
        raise UserError(f"review {review_id}: already decided ({status})")
    return candidate, provisional


def accept(vault: Vault, review_id: int, warehouse: Path | None = None) -> int:
    """Merge the provisional person into the candidate; warehouse rows moved (0 without one)."""
    candidate, provisional = _held(vault, review_id)
    if warehouse is None:
        vault.merge(provisional, candidate)
        return 0
    return vault.merge(
        provisional, candidate, lambda: _move_rows(vault, warehouse, provisional, candidate)
    )


def reject(vault: Vault, review_id: int) -> None:
    _, provisional = _held(vault, review_id)
    vault.keep_apart(provisional)


# Identity review is off unless an agreement switches it on for its feed (GOVERNANCE.md
# "Identity review without a human in the loop"): only those feeds' pairs are shown or decided.


def reviewable(vault: Vault, feeds: set[str]) -> list[dict]:
    """The held pairs whose record came from a feed under review."""
    return [p for p in held_pairs(vault) if p["record"]["feed"] in feeds]


def decide(
    vault: Vault, feeds: set[str], review_id: int, decision: str, warehouse: Path | None = None
) -> int:
    """Accept or reject a held pair of a feed under review; warehouse rows moved."""
    if not any(p["review_id"] == review_id for p in reviewable(vault, feeds)):
        raise UserError(f"review {review_id}: no held pair of a feed under review")
    if decision == "accept":
        return accept(vault, review_id, warehouse)
    reject(vault, review_id)
    return 0


def _move_rows(vault: Vault, warehouse: Path, provisional: int, candidate: int) -> int:
    """Re-point the provisional person's rows; the person table keeps one row per pseudo_id."""
    old, new = vault.pseudo_id(provisional), vault.pseudo_id(candidate)

    def drop_duplicate_person(con) -> None:
        if "person" in repoint.pseudo_id_tables(con):
            con.execute(
                f"DELETE FROM person WHERE pseudo_id = {pseudonyms.number_sql('?')} AND EXISTS"
                f" (SELECT 1 FROM person WHERE pseudo_id = {pseudonyms.number_sql('?')})",
                [old, new],
            )

    changed = repoint.repoint_warehouse(
        warehouse, repoint.mapping_table([old], [new]), before=drop_duplicate_person
    )
    return sum(changed.values())
