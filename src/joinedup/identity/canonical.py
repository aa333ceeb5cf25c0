"""A person's canonical identity in the vault's `people` table, from their identifier records.

Its own module so that resolve.py (and review.py) use it without importing vault.py, which
imports resolve.py: no import cycle. This module handles identifiable values: never log them.
"""

from __future__ import annotations


def refresh_people(con, person_keys_sql: str) -> None:
    """Set the canonical identity of the people selected by `person_keys_sql`: their
    gp_register record where there is one (PDS-traced), else the record whose date of birth
    most of their records agree on; ties by record id."""
    con.execute(
        f"""UPDATE people SET given_name = c.given_name, family_name = c.family_name,
            date_of_birth = c.date_of_birth, sex = c.sex, postcode = c.postcode,
            identity_feed = c.feed
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY person_key ORDER BY
                    CASE WHEN feed = 'gp_register' THEN 0 ELSE 1 END,
                    CASE WHEN date_of_birth IS NULL THEN 1 ELSE 0 END,
                    dob_votes DESC, record_id
            ) AS rank
            FROM (
                SELECT *, count(*) OVER (PARTITION BY person_key, date_of_birth) AS dob_votes
                FROM identifier_records WHERE person_key IN ({person_keys_sql})
            )
        ) c
        WHERE c.rank = 1 AND people.person_key = c.person_key"""
    )
