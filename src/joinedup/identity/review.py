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
from joinedup.identity.canonical import refresh_people
from joinedup.identity.vault import Vault

SHOWN = ("feed", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode")

HELD_SQL = """
SELECT q.review_id, q.match_weight, q.match_probability, q.candidate_person_key,
    r.feed, r.nhs_number, r.given_name, r.family_name, r.date_of_birth, r.sex, r.postcode,
    p.identity_feed, p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode
FROM review_queue q
JOIN identifier_records r ON r.record_id = q.record_id
JOIN people p ON p.person_key = q.candidate_person_key
WHERE q.status = 'held'
ORDER BY q.review_id
"""


def held_pairs(vault: Vault) -> list[dict]:
    pairs = []
    for row in vault.con.execute(HELD_SQL).fetchall():
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
    rows = vault.con.execute(
        "SELECT status, candidate_person_key, provisional_person_key FROM review_queue"
        " WHERE review_id = ?",
        [review_id],
    ).fetchall()
    if not rows:
        raise UserError(f"review {review_id}: no such held pair (see joinedup review --vault)")
    status, candidate, provisional = rows[0]
    if status != "held":
        raise UserError(f"review {review_id}: already decided ({status})")
    return candidate, provisional


def accept(vault: Vault, review_id: int, warehouse: Path | None = None) -> int:
    """Merge the provisional person into the candidate; warehouse rows moved (0 without one)."""
    candidate, provisional = _held(vault, review_id)
    con = vault.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            """UPDATE identifier_records SET person_key = ?, link_method = CASE
                WHEN link_method = 'held_for_review' THEN 'probabilistic' ELSE link_method END
            WHERE person_key = ?""",
            [candidate, provisional],
        )
        con.execute(
            "UPDATE people SET merged_into = ? WHERE person_key = ?", [candidate, provisional]
        )
        _decide(con, provisional, "accepted")
        refresh_people(con, f"SELECT {int(candidate)}")
        moved = 0 if warehouse is None else _move_rows(vault, warehouse, provisional, candidate)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return moved


def reject(vault: Vault, review_id: int) -> None:
    _, provisional = _held(vault, review_id)
    con = vault.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            """UPDATE identifier_records SET link_method = 'new_person'
            WHERE person_key = ? AND link_method = 'held_for_review'""",
            [provisional],
        )
        _decide(con, provisional, "rejected")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _decide(con, provisional: int, status: str) -> None:
    con.execute(
        """UPDATE review_queue SET status = ?, decided_at = current_timestamp
        WHERE provisional_person_key = ? AND status = 'held'""",
        [status, provisional],
    )


def _move_rows(vault: Vault, warehouse: Path, provisional: int, candidate: int) -> int:
    """Re-point the provisional person's rows; the person table keeps one row per pseudo_id."""
    old, new = vault.pseudo_id(provisional), vault.pseudo_id(candidate)

    def drop_duplicate_person(con) -> None:
        if "person" in repoint.pseudo_id_tables(con):
            con.execute(
                "DELETE FROM person WHERE pseudo_id = ?"
                " AND EXISTS (SELECT 1 FROM person WHERE pseudo_id = ?)",
                [old, new],
            )

    changed = repoint.repoint_warehouse(
        warehouse, repoint.mapping_table([old], [new]), before=drop_duplicate_person
    )
    return sum(changed.values())
