"""The vault's linkage engine: identifier records to people, by NHS number, then council id,
then probabilistically. Private to the vault: only vault.py (`Vault.resolve`, `Vault.resolving`,
`Vault.merge`) calls it, with the vault's own connection; it imports nothing of vault.py.

1. A record whose NHS number is valid (modulus 11, not all one digit) belongs to the person with
   that NHS number. A number not seen before goes to a person an earlier load knew without one
   when its records match them probabilistically (above the upper threshold); else to a new person.
2. A record without one whose council person id (la_person_id) has been seen belongs to the
   person that id was linked to.
3. The rest are scored by Splink against every identity already known (probabilistic.py).
   Records sharing a council person id are decided together, on their best score. At or above
   the upper threshold: linked; below the lower: a new person; in between: held for review with
   a provisional new person.

Every answer is stored in the vault, so a record seen again gets the same answer, and person
keys are only ever added (max + 1, in a fixed order), never renumbered.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyarrow as pa

from joinedup import duck
from joinedup.identifiers import nhs_number_valid_sql
from joinedup.identity import probabilistic
from joinedup.progress import stage

RECORD_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("feed", pa.string()),
        ("nhs_number", pa.string()),
        ("given_name", pa.string()),
        ("family_name", pa.string()),
        ("date_of_birth", pa.date32()),
        ("sex", pa.string()),
        ("postcode", pa.string()),
        ("la_person_id", pa.string()),
    ]
)
DUCKDB_TYPES = {pa.string(): "VARCHAR", pa.date32(): "DATE"}
IDENTIFIERS = "nhs_number, given_name, family_name, date_of_birth, sex, postcode"
PARAMETERS_VARIABLE = "JOINEDUP_LINKAGE_PARAMETERS"  # the probabilistic model's parameters


@contextmanager
def resolving(
    con,
    pseudo_id_sql: Callable[[str], str],
    records: pa.RecordBatchReader,
    progress: bool = False,
    parameters: str | None = None,
) -> Iterator[pa.RecordBatchReader]:
    """Link every record (see the module docstring) in bounded memory: the records are read
    batch by batch into the vault's own (spilling) DuckDB `con`, linked there in one
    transaction, and the answers, one per record in the records' order, are read from the
    block's reader in batches (`duck.batch_rows()`); `pseudo_id_sql` makes a person key's
    pseudo_id in SQL. The reader is valid inside the block only, and nothing else may use the
    vault meanwhile. `parameters`: the probabilistic model's, "fixed" or "estimated" from the
    records; by default $JOINEDUP_LINKAGE_PARAMETERS, else "fixed"."""
    parameters = parameters or os.environ.get(PARAMETERS_VARIABLE) or "fixed"
    if parameters not in probabilistic.PARAMETERS:
        raise ValueError(f"linkage parameters must be one of {', '.join(probabilistic.PARAMETERS)}")
    con.register("nicknames", probabilistic.nickname_table())
    try:
        _take_incoming(con, records)
        con.execute("BEGIN TRANSACTION")
        try:
            _stage_new_records(con)
            if con.execute("SELECT count(*) FROM batch").fetchall()[0][0]:
                _link_new_records(con, progress, parameters)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        yield con.sql(_answers_sql(pseudo_id_sql)).to_arrow_reader(duck.batch_rows())
    finally:
        for name in ("nicknames", "numbered_candidates", "best_candidates"):
            con.unregister(name)
        tables = ("incoming", "batch", "decided", "grouped", "group_decisions", "new_people",
                  "nhs_conflicts")  # fmt: skip
        for table in tables:
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _take_incoming(con, records: pa.RecordBatchReader) -> None:
    """Temp table `incoming`: the records as RECORD_SCHEMA, numbered in order (`position`)."""
    columns = ", ".join(f"{f.name} {DUCKDB_TYPES[f.type]}" for f in RECORD_SCHEMA)
    con.execute(f"CREATE OR REPLACE TEMP TABLE incoming ({columns}, position BIGINT)")
    taken = 0
    for batch in records:
        con.register("incoming_batch", _conform(pa.Table.from_batches([batch]), taken))
        try:
            con.execute("INSERT INTO incoming SELECT * FROM incoming_batch")
        finally:
            con.unregister("incoming_batch")
        taken += batch.num_rows
    duplicated = con.execute("SELECT count(*) - count(DISTINCT record_id) FROM incoming")
    if duplicated.fetchall()[0][0]:
        raise ValueError("identifier records must have unique record_id values")


def _conform(records: pa.Table, first: int) -> pa.Table:
    missing = [name for name in RECORD_SCHEMA.names if name not in records.column_names]
    if missing:
        raise ValueError(f"identifier records lack columns: {', '.join(missing)}")
    table = records.select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)
    positions = pa.array(range(first, first + table.num_rows), pa.int64())
    return table.append_column("position", positions)


# The NHS number rule of joinedup.identifiers, in SQL (checked in the vault, not row by row in Python).
COMPACT_NHS_NUMBER = "regexp_replace(i.nhs_number, '[\\s-]', '', 'g')"
NHS_NUMBER_VALID = f"coalesce({nhs_number_valid_sql(COMPACT_NHS_NUMBER)}, false)"


def _stage_new_records(con) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch AS
        SELECT *, {NHS_NUMBER_VALID} AS nhs_number_valid FROM incoming i
        WHERE NOT EXISTS (SELECT 1 FROM identifier_records r WHERE r.record_id = i.record_id)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE decided (
            record_id VARCHAR, person_key BIGINT, link_method VARCHAR, match_weight DOUBLE)"""
    )


def _link_new_records(con, progress: bool, parameters: str) -> None:
    with stage("identity: NHS numbers and council ids", progress):
        _find_nhs_number_conflicts(con)
        _link_by_nhs_number(con, parameters)
        _link_by_council_id(con)
    with stage("identity: probabilistic matching", progress):
        _link_probabilistically(con, parameters)
    with stage("identity: storing", progress):
        _store(con)
        _refresh_canonical_identity(con)


# A valid NHS number trusted on its own: not one whose other identifiers contradict it.
TRUSTED_NUMBER = "b.nhs_number_valid AND NOT EXISTS (SELECT 1 FROM nhs_conflicts c WHERE c.record_id = b.record_id)"


def _name_sql(column: str) -> str:
    return f"nullif(regexp_replace(upper({column}), '[^A-Z]', '', 'g'), '')"


# The identity an NHS number stands for: its PDS-traced (gp_register) record, else the identity
# most of its records carry (records already trusted in the vault and this batch's).
NUMBER_REFERENCE_SQL = f"""
WITH seen AS (
    SELECT record_id, feed, nhs_number, given_name, family_name, date_of_birth, sex
    FROM identifier_records WHERE nhs_number_valid AND link_method = 'nhs_number'
    UNION ALL
    SELECT record_id, feed, nhs_number, given_name, family_name, date_of_birth, sex
    FROM batch WHERE nhs_number_valid
), voted AS (
    SELECT *, count(*) OVER (
        PARTITION BY nhs_number, given_name, family_name, date_of_birth) AS votes
    FROM seen WHERE given_name IS NOT NULL OR date_of_birth IS NOT NULL
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY nhs_number ORDER BY
        CASE WHEN feed = 'gp_register' THEN 0 ELSE 1 END, votes DESC, record_id) AS rank
    FROM voted
)
SELECT nhs_number, feed = 'gp_register' AS traced, {_name_sql("given_name")} AS given_name,
    {_name_sql("family_name")} AS family_name,
    {probabilistic.usable_dob_sql("date_of_birth")} AS date_of_birth, sex
FROM ranked WHERE rank = 1
"""

# Given names that do not match by any level of the probabilistic model above 'else'.
GIVEN_DIFFERS = """(b.given_name IS NOT NULL AND r.given_name IS NOT NULL
    AND b.given_name <> r.given_name AND b.given_name <> r.family_name
    AND jaro_winkler_similarity(b.given_name, r.given_name) < 0.9
    AND damerau_levenshtein(b.given_name, r.given_name) > 1
    AND NOT ((length(b.given_name) = 1 OR length(r.given_name) = 1)
        AND left(b.given_name, 1) = left(r.given_name, 1))
    AND NOT EXISTS (SELECT 1 FROM nicknames x, nicknames y
        WHERE x.name = b.given_name AND y.name = r.given_name
            AND list_has_any(x.groups, y.groups)))"""
# Dates of birth that differ by more than a typing slip (one edit, or day and month swapped).
DOB_DIFFERS = """(b.date_of_birth IS NOT NULL AND r.date_of_birth IS NOT NULL
    AND damerau_levenshtein(CAST(b.date_of_birth AS VARCHAR), CAST(r.date_of_birth AS VARCHAR)) > 1
    AND NOT (year(b.date_of_birth) = year(r.date_of_birth)
        AND month(b.date_of_birth) = day(r.date_of_birth)
        AND day(b.date_of_birth) = month(r.date_of_birth)))"""
SEX_DIFFERS = "(b.sex IN ('1', '2') AND r.sex IN ('1', '2') AND b.sex <> r.sex)"


def _find_nhs_number_conflicts(con) -> None:
    """Records whose valid NHS number their other identifiers contradict: the given name differs
    and so does the date of birth or sex, or the date of birth and sex both differ from the
    number's PDS-traced identity. They are matched probabilistically, without the number."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE nhs_conflicts AS
        WITH reference AS ({NUMBER_REFERENCE_SQL}), records AS (
            SELECT record_id, nhs_number, {_name_sql("given_name")} AS given_name,
                {probabilistic.usable_dob_sql("date_of_birth")} AS date_of_birth, sex
            FROM batch WHERE nhs_number_valid
        )
        SELECT b.record_id FROM records b JOIN reference r USING (nhs_number)
        WHERE ({GIVEN_DIFFERS} AND ({DOB_DIFFERS} OR {SEX_DIFFERS}))
            OR (r.traced AND {DOB_DIFFERS} AND {SEX_DIFFERS})"""
    )


def _link_by_nhs_number(con, parameters: str) -> None:
    _give_numbers_to_people_without_one(con, parameters)
    con.execute(
        f"""INSERT INTO people (person_key, nhs_number)
        SELECT top.max_key + row_number() OVER (ORDER BY n.nhs_number), n.nhs_number
        FROM (SELECT DISTINCT nhs_number FROM batch b WHERE {TRUSTED_NUMBER}) n
        CROSS JOIN (SELECT coalesce(max(person_key), 0) AS max_key FROM people) top
        WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.nhs_number = n.nhs_number)"""
    )
    con.execute(
        f"""INSERT INTO decided
        SELECT b.record_id, p.person_key, 'nhs_number', NULL
        FROM batch b JOIN people p ON p.nhs_number = b.nhs_number
        WHERE {TRUSTED_NUMBER}"""
    )


NEW_NUMBER_RECORDS_SQL = f"""
SELECT record_id AS unique_id, {IDENTIFIERS}
FROM batch b
WHERE {TRUSTED_NUMBER} AND date_of_birth IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM people p WHERE p.nhs_number = b.nhs_number)
"""
# Not within TIE_MARGIN of the runner-up person (c: a best_candidates row).
CLEAR_WINNER = (
    f"(c.runner_up_weight IS NULL"
    f" OR c.match_weight - c.runner_up_weight >= {probabilistic.TIE_MARGIN})"
)

# People known without an NHS number (a settled decision, not one awaiting review).
UNNUMBERED_PEOPLE_SQL = """
SELECT person_key FROM people p
WHERE p.nhs_number IS NULL AND p.merged_into IS NULL AND NOT EXISTS (
    SELECT 1 FROM identifier_records h
    WHERE h.person_key = p.person_key AND h.link_method = 'held_for_review')
"""


def _give_numbers_to_people_without_one(con, parameters: str) -> None:
    """A new NHS number whose records best match, by probability >= the upper threshold, a person
    an earlier load knew without one becomes that person's number: the person keeps their key
    (and pseudo_id) instead of splitting in two. Scored against every known identity, so that
    term frequencies are the population's and a better match elsewhere wins. Each number and
    each person is used once."""
    if not con.execute(f"SELECT 1 FROM ({UNNUMBERED_PEOPLE_SQL}) LIMIT 1").fetchall():
        return
    records = con.sql(NEW_NUMBER_RECORDS_SQL).to_arrow_table()
    people = _people_count(con)
    best = probabilistic.best_candidates(records, _known_identities(con), people, parameters)
    con.register("numbered_candidates", best)
    con.execute(
        f"""UPDATE people SET nhs_number = a.nhs_number FROM (
            SELECT nhs_number, person_key FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY person_key ORDER BY match_probability DESC, nhs_number) AS rank
                FROM (
                    SELECT b.nhs_number, c.person_key, c.match_probability,
                        {CLEAR_WINNER} AS clear, row_number() OVER (
                            PARTITION BY b.nhs_number
                            ORDER BY c.match_probability DESC, c.person_key) AS rank
                    FROM numbered_candidates c JOIN batch b ON b.record_id = c.unique_id
                ) WHERE rank = 1 AND clear
                    AND match_probability >= {probabilistic.UPPER_THRESHOLD}
                    AND person_key IN ({UNNUMBERED_PEOPLE_SQL})
            ) WHERE rank = 1
        ) a
        WHERE people.person_key = a.person_key"""
    )


def _people_count(con) -> int:
    return con.execute("SELECT count(*) FROM people WHERE merged_into IS NULL").fetchall()[0][0]


def _link_by_council_id(con) -> None:
    """A council id goes to the person most of its records belong to (ties: the lower key), so
    that one record under someone else's NHS number does not take the whole history along."""
    con.execute(
        """INSERT INTO decided
        WITH seen AS (
            SELECT la_person_id, person_key FROM identifier_records
            WHERE la_person_id IS NOT NULL
            UNION ALL
            SELECT b.la_person_id, d.person_key FROM batch b JOIN decided d USING (record_id)
            WHERE b.la_person_id IS NOT NULL
        ), council AS (
            SELECT la_person_id, arg_max(person_key, votes) AS person_key FROM (
                SELECT la_person_id, person_key, count(*) - person_key * 1e-12 AS votes
                FROM seen GROUP BY la_person_id, person_key
            ) GROUP BY la_person_id
        )
        SELECT b.record_id, c.person_key, 'council_id', NULL
        FROM batch b JOIN council c USING (la_person_id)
        WHERE NOT EXISTS (SELECT 1 FROM decided d WHERE d.record_id = b.record_id)"""
    )


KNOWN_IDENTITIES_SQL = """
WITH linked AS (
    SELECT person_key, given_name, family_name, date_of_birth, sex, postcode
    FROM identifier_records WHERE link_method <> 'held_for_review'
    UNION
    SELECT d.person_key, b.given_name, b.family_name, b.date_of_birth, b.sex, b.postcode
    FROM batch b JOIN decided d USING (record_id)
)
SELECT l.person_key, p.nhs_number, l.given_name, l.family_name, l.date_of_birth, l.sex,
    l.postcode
FROM linked l JOIN people p USING (person_key)
WHERE l.date_of_birth IS NOT NULL OR l.family_name IS NOT NULL
ORDER BY l.person_key, l.given_name, l.family_name, l.date_of_birth, l.sex, l.postcode
"""
# Numbered by position in that order, as row_number() OVER (ORDER BY ...) would number them: a
# sort spills to disk beyond the load's memory limit, a window over the whole set does not.
NUMBERED_IDENTITIES_SQL = """
SELECT 'k' || CAST(rowid + 1 AS VARCHAR) AS unique_id, person_key, nhs_number, given_name,
    family_name, date_of_birth, sex, postcode
FROM known_identities
"""

# A contradicted NHS number is left out: it is someone else's.
UNRESOLVED_SQL = f"""
SELECT record_id AS unique_id,
    CASE WHEN record_id IN (SELECT record_id FROM nhs_conflicts) THEN NULL ELSE nhs_number END
        AS nhs_number,
    {IDENTIFIERS.removeprefix("nhs_number, ")}
FROM batch b
WHERE NOT EXISTS (SELECT 1 FROM decided d WHERE d.record_id = b.record_id)
"""


def _known_identities(con) -> pa.RecordBatchReader:
    """Every known identity, in batches (millions of rows on a large area). The reader is
    read by the linkage's own DuckDB before anything else runs on `con`."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE known_identities AS {KNOWN_IDENTITIES_SQL}")
    return con.sql(NUMBERED_IDENTITIES_SQL).to_arrow_reader(duck.batch_rows())


def _link_probabilistically(con, parameters: str) -> None:
    unresolved = con.sql(UNRESOLVED_SQL).to_arrow_table()
    if unresolved.num_rows == 0:
        return
    people = _people_count(con)
    best = probabilistic.best_candidates(unresolved, _known_identities(con), people, parameters)
    con.execute("DROP TABLE known_identities")
    con.register("best_candidates", best)  # unregistered by resolving(), after any rollback
    _decide_groups(con)


def _decide_groups(con) -> None:
    """Records sharing a council person id are decided together, on the group's best score.
    A best score within TIE_MARGIN of the runner-up person's is held, however high."""
    upper, lower = probabilistic.UPPER_THRESHOLD, probabilistic.LOWER_THRESHOLD
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE grouped AS
        SELECT b.record_id,
            CASE WHEN b.la_person_id IS NULL THEN 'R' || b.record_id
                 ELSE 'L' || b.la_person_id END AS group_key,
            c.person_key AS candidate, c.match_weight, c.match_probability,
            {CLEAR_WINNER} AS clear
        FROM batch b LEFT JOIN best_candidates c ON c.unique_id = b.record_id
        WHERE NOT EXISTS (SELECT 1 FROM decided d WHERE d.record_id = b.record_id)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE group_decisions AS
        WITH ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY group_key
                ORDER BY match_probability DESC NULLS LAST, candidate, record_id
            ) AS rank
            FROM grouped
        )
        SELECT group_key, record_id AS best_record, candidate, match_weight, match_probability,
            CASE WHEN match_probability >= {upper} AND clear THEN 'probabilistic'
                 WHEN match_probability >= {lower} THEN 'held_for_review'
                 ELSE 'new_person' END AS link_method
        FROM ranked WHERE rank = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE new_people AS
        SELECT g.group_key,
            top.max_key + row_number() OVER (ORDER BY g.group_key) AS person_key
        FROM group_decisions g
        CROSS JOIN (SELECT coalesce(max(person_key), 0) AS max_key FROM people) top
        WHERE g.link_method <> 'probabilistic'"""
    )
    con.execute("INSERT INTO people (person_key) SELECT person_key FROM new_people")
    con.execute(
        """INSERT INTO decided
        SELECT r.record_id, coalesce(n.person_key, g.candidate), g.link_method, g.match_weight
        FROM grouped r JOIN group_decisions g USING (group_key)
        LEFT JOIN new_people n USING (group_key)"""
    )
    con.execute(
        """INSERT INTO review_queue
        SELECT top.max_id + row_number() OVER (ORDER BY g.group_key), g.best_record, g.candidate,
            n.person_key, g.match_weight, g.match_probability, 'held', NULL
        FROM group_decisions g JOIN new_people n USING (group_key)
        CROSS JOIN (SELECT coalesce(max(review_id), 0) AS max_id FROM review_queue) top
        WHERE g.link_method = 'held_for_review'"""
    )


def _store(con) -> None:
    con.execute(
        """INSERT INTO identifier_records
        SELECT b.record_id, b.feed, b.nhs_number, b.nhs_number_valid, b.given_name, b.family_name,
            b.date_of_birth, b.sex, b.postcode, b.la_person_id,
            d.person_key, d.link_method, d.match_weight, current_timestamp
        FROM batch b JOIN decided d USING (record_id)"""
    )


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


def _refresh_canonical_identity(con) -> None:
    refresh_people(con, "SELECT DISTINCT person_key FROM decided")


def _answers_sql(pseudo_id_sql: Callable[[str], str]) -> str:
    """Each incoming record's answer, in the records' order; a pseudo_id made once per person."""
    return f"""WITH answers AS (
            SELECT n.position, n.record_id, i.person_key, i.link_method, i.match_weight,
                p.date_of_birth AS person_date_of_birth, p.sex AS person_sex
            FROM incoming n JOIN identifier_records i USING (record_id)
            JOIN people p USING (person_key)
        ), pseudonyms AS (
            SELECT person_key, {pseudo_id_sql("person_key")} AS pseudo_id
            FROM (SELECT DISTINCT person_key FROM answers) k
        )
        SELECT a.record_id, a.person_key, s.pseudo_id, a.link_method, a.match_weight,
            a.person_date_of_birth, a.person_sex
        FROM answers a JOIN pseudonyms s USING (person_key)
        ORDER BY a.position"""
