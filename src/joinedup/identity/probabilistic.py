"""Probabilistic matching (Splink) of records without a usable NHS number against known people.

The model's m and u probabilities are fixed from documented estimates (below), not trained, so
that the same inputs always give the same answer and a small load is scored as well as a large
one. m = P(level | same person), from the error rates of NHS administrative feeds (a few per cent
of names misspelt or given as nicknames, about 1-2% of dates of birth mistyped, about 10% of
postcodes out of date); u = P(level | different people), from the spread of English names, dates
of birth and postcodes. Exact matches on names and postcode are adjusted by term frequency, so a
shared rare surname counts for more than a shared 'SMITH'.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyarrow as pa
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.comparison_library import CustomComparison

from joinedup import duck

UPPER_THRESHOLD = 0.99  # at or above: linked
LOWER_THRESHOLD = 0.5  # below: a new person; in between: held for review
# Prior: a record is one given known person with probability 1/people, floored so that a small
# area is not given a generous prior.
MIN_PEOPLE_FOR_PRIOR = 10_000
# Pairs below this probability are not worth returning.
KEEP_ABOVE = 0.001

# Candidate pairs: each rule is an equality join, so its cost is the pairs it makes. Same date
# of birth finds most; the others catch a swapped day and month (same year and the same two
# numbers, `dob_unordered`) or a mistyped date of birth with a name and postcode that agree.
# Rules on a name and birth year alone made three times the pairs for no extra links on a
# generated area.
BLOCKING_RULES = [
    "l.date_of_birth = r.date_of_birth",
    "l.dob_unordered = r.dob_unordered AND l.family_name = r.family_name",
    "l.dob_unordered = r.dob_unordered AND l.given_name = r.given_name",
    "l.family_name = r.family_name AND l.postcode = r.postcode",
    "l.given_name = r.given_name AND l.postcode = r.postcode",
    "l.given_name = r.given_name AND l.family_name = r.family_name AND l.birth_year = r.birth_year",
]


@dataclass(frozen=True)
class Level:
    condition: cll.ComparisonLevelCreator
    m: float
    u: float


def _comparison(name: str, levels: list[Level]) -> CustomComparison:
    configured = [cll.NullLevel(name)] + [
        level.condition.configure(m_probability=level.m, u_probability=level.u) for level in levels
    ]
    return CustomComparison(output_column_name=name, comparison_levels=configured)


def _exact_tf(column: str) -> cll.ExactMatchLevel:
    return cll.ExactMatchLevel(column, term_frequency_adjustments=True)


def comparisons() -> list[CustomComparison]:
    return [
        _comparison(
            "nhs_number",
            [
                Level(cll.ExactMatchLevel("nhs_number"), 0.3, 1e-7),
                Level(cll.DamerauLevenshteinLevel("nhs_number", 1), 0.45, 1e-6),
                Level(cll.DamerauLevenshteinLevel("nhs_number", 2), 0.15, 1e-4),
                Level(cll.ElseLevel(), 0.1, 1.0),
            ],
        ),
        _comparison(
            "given_name",
            [
                Level(_exact_tf("given_name"), 0.86, 0.01),
                Level(cll.ArrayIntersectLevel("given_name_groups", 1), 0.06, 0.002),
                Level(cll.JaroWinklerLevel("given_name", 0.9), 0.05, 0.004),
                Level(cll.ElseLevel(), 0.03, 0.984),
            ],
        ),
        _comparison(
            "family_name",
            [
                Level(_exact_tf("family_name"), 0.88, 0.002),
                Level(cll.DamerauLevenshteinLevel("family_name", 1), 0.06, 0.001),
                Level(cll.JaroWinklerLevel("family_name", 0.88), 0.03, 0.004),
                Level(cll.ElseLevel(), 0.03, 0.993),
            ],
        ),
        _comparison(
            "date_of_birth",
            [
                Level(cll.ExactMatchLevel("date_of_birth"), 0.94, 5e-5),
                Level(
                    cll.CustomLevel(
                        "birth_year_l = birth_year_r AND birth_month_l = birth_day_r "
                        "AND birth_day_l = birth_month_r",
                        label_for_charts="day and month swapped",
                    ),
                    0.02,
                    2e-5,
                ),
                Level(cll.DamerauLevenshteinLevel("dob_text", 1), 0.025, 5e-4),
                Level(cll.ElseLevel(), 0.015, 0.9994),
            ],
        ),
        _comparison(
            "sex",
            [Level(cll.ExactMatchLevel("sex"), 0.98, 0.5), Level(cll.ElseLevel(), 0.02, 0.5)],
        ),
        _comparison(
            "postcode",
            [
                Level(_exact_tf("postcode"), 0.8, 1e-4),
                Level(cll.ExactMatchLevel("postcode_sector"), 0.05, 2e-3),
                Level(cll.ExactMatchLevel("postcode_district"), 0.05, 0.02),
                Level(cll.ElseLevel(), 0.1, 0.978),
            ],
        ),
    ]


def settings(known_people: int) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        probability_two_random_records_match=1 / max(known_people, MIN_PEOPLE_FOR_PRIOR),
        retain_matching_columns=False,
        additional_columns_to_retain=["person_key"],
        linker_uid="joinedup_identity",
    )


@cache
def nickname_groups() -> dict[str, list[str]]:
    """Given name -> the formal names of every nickname group it belongs to."""
    text = resources.files("joinedup.identity").joinpath("nicknames.txt").read_text()
    groups: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        formal, variants = line.split(":", 1)
        for name in [formal.strip(), *variants.split()]:
            groups.setdefault(name, []).append(formal.strip())
    return groups


def _nickname_table() -> pa.Table:
    groups = nickname_groups()
    return pa.table({"name": list(groups), "groups": list(groups.values())})


# Names compare as upper-case letters only; postcodes are already normalised ('SS1 2AB').
FEATURES_SQL = """
WITH cleaned AS (
    SELECT unique_id, person_key, nhs_number, date_of_birth, sex, postcode,
        nullif(regexp_replace(upper(given_name), '[^A-Z]', '', 'g'), '') AS given_name,
        nullif(regexp_replace(upper(family_name), '[^A-Z]', '', 'g'), '') AS family_name
    FROM {source}
)
SELECT c.unique_id, c.person_key, c.nhs_number, c.given_name, c.family_name,
    n.groups AS given_name_groups,
    c.date_of_birth, CAST(c.date_of_birth AS VARCHAR) AS dob_text,
    year(c.date_of_birth) AS birth_year, month(c.date_of_birth) AS birth_month,
    day(c.date_of_birth) AS birth_day,
    CAST(year(c.date_of_birth) AS VARCHAR) || '-'
        || CAST(least(month(c.date_of_birth), day(c.date_of_birth)) AS VARCHAR) || '-'
        || CAST(greatest(month(c.date_of_birth), day(c.date_of_birth)) AS VARCHAR)
        AS dob_unordered,
    c.sex, c.postcode,
    substr(c.postcode, 1, length(c.postcode) - 2) AS postcode_sector,
    split_part(c.postcode, ' ', 1) AS postcode_district
FROM cleaned c LEFT JOIN nicknames n ON n.name = c.given_name
"""


def best_candidates(new_records: pa.Table, known: pa.Table, known_people: int) -> pa.Table:
    """For each new record, its most probable known person (if any pair scored above KEEP_ABOVE).

    new_records: unique_id, nhs_number, given_name, family_name, date_of_birth, sex, postcode.
    known: the same plus person_key (one row per distinct identity seen for a person).
    Returns unique_id, person_key, match_weight, match_probability; ties go to the lower key.
    """
    empty = pa.table(
        {
            "unique_id": pa.array([], pa.string()),
            "person_key": pa.array([], pa.int64()),
            "match_weight": pa.array([], pa.float64()),
            "match_probability": pa.array([], pa.float64()),
        }
    )
    if new_records.num_rows == 0 or known.num_rows == 0:
        return empty
    con = duck.connect()
    try:
        return _score(con, new_records, known, known_people)
    finally:
        con.close()


def _score(con, new_records: pa.Table, known: pa.Table, known_people: int) -> pa.Table:
    con.execute("SET enable_progress_bar = false")
    con.register("nicknames", _nickname_table())
    con.register(
        "new_input",
        new_records.append_column("person_key", pa.nulls(new_records.num_rows, pa.int64())),
    )
    con.register("known_input", known)
    for side in ("new", "known"):
        con.execute(
            f"CREATE TABLE {side}_features AS {FEATURES_SQL.format(source=side + '_input')}"
        )
    db_api = DuckDBAPI(connection=con)
    new_df = db_api.register("new_features", dataset_display_name="new")
    known_df = db_api.register("known_features", dataset_display_name="known")
    _quiet_splink()
    linker = Linker([new_df, known_df], settings(known_people), log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=KEEP_ABOVE)
    return con.sql(_best_sql(predictions.physical_name)).to_arrow_table()


def _best_sql(predictions: str) -> str:
    """One row per new record: the best known person, whichever side Splink put it on."""
    return f"""
    WITH pairs AS (
        SELECT
            CASE WHEN source_dataset_l = 'new' THEN unique_id_l ELSE unique_id_r END AS unique_id,
            CASE WHEN source_dataset_l = 'new' THEN person_key_r ELSE person_key_l END AS person_key,
            match_weight, match_probability
        FROM {predictions}
    ), ranked AS (
        SELECT *, row_number() OVER (
            PARTITION BY unique_id ORDER BY match_probability DESC, person_key
        ) AS rank
        FROM pairs
    )
    SELECT unique_id, CAST(person_key AS BIGINT) AS person_key, match_weight, match_probability
    FROM ranked WHERE rank = 1 ORDER BY unique_id
    """


def _quiet_splink() -> None:
    # Splink's own messages are about its progress, but keep them off the console.
    logging.getLogger("splink").setLevel(logging.WARNING)
