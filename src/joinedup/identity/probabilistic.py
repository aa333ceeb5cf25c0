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
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.comparison_library import CustomComparison
from splink.internals.exceptions import SplinkException

from joinedup import duck

UPPER_THRESHOLD = 0.99  # at or above: linked
LOWER_THRESHOLD = 0.5  # below: a new person; in between: held for review
# A record whose best two candidate people score within this many bits of match weight (a
# likelihood ratio under 2.8) is held for review, never given to either (nor to the lower key).
TIE_MARGIN = 1.5
# Dates of birth that systems write when the real one is unknown: missing for the date-of-birth
# comparison. 1 January of any year (often written when only the age is known) counts as missing
# too, except for its year, which is compared on its own (levels below).
PLACEHOLDER_DATES_OF_BIRTH = ("1900-01-01",)
PARAMETERS = ("fixed", "estimated")
# Where Splink runs: its DuckDB backend (default), or its Spark backend (engine/linkage.py, the
# same model and answers; docs/spark.md).
ENGINE_VARIABLE = "JOINEDUP_LINKAGE_ENGINE"
ENGINES = ("duckdb", "spark")
# Prior: a record is one given known person with probability 1/people, floored so that a small
# area is not given a generous prior.
MIN_PEOPLE_FOR_PRIOR = 10_000
# Pairs below this probability are not worth returning.
KEEP_ABOVE = 0.001
# Records per side of a chunk of candidate pairs, in batches (duck.batch_rows()).
CHUNK_BATCHES = 10

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
    "l.given_name = r.family_name AND l.family_name = r.given_name",
]


@dataclass(frozen=True)
class Level:
    condition: cll.ComparisonLevelCreator
    m: float
    u: float


def _comparison(
    name: str, levels: list[Level], null_level: cll.ComparisonLevelCreator | None = None
) -> CustomComparison:
    null = null_level.configure(is_null_level=True) if null_level else cll.NullLevel(name)
    configured = [null] + [
        level.condition.configure(m_probability=level.m, u_probability=level.u) for level in levels
    ]
    return CustomComparison(output_column_name=name, comparison_levels=configured)


def _exact_tf(column: str) -> cll.ExactMatchLevel:
    return cll.ExactMatchLevel(column, term_frequency_adjustments=True)


# Given and family name written the wrong way round: counted in both name comparisons.
_NAMES_SWAPPED = cll.CustomLevel(
    "given_name_l = family_name_r AND family_name_l = given_name_r",
    label_for_charts="given and family name swapped",
)
# An initial against a full name that starts with it ('J' and 'JOHN').
_INITIAL = cll.CustomLevel(
    "(length(given_name_l) = 1 OR length(given_name_r) = 1) "
    "AND left(given_name_l, 1) = left(given_name_r, 1)",
    label_for_charts="initial against full name",
)


# 1 January on either side (date_of_birth NULL, birth_year kept): only the year is compared.
_FIRST_OF_JANUARY_SAME_YEAR = cll.CustomLevel(
    "(date_of_birth_l IS NULL OR date_of_birth_r IS NULL) AND birth_year_l = birth_year_r",
    label_for_charts="1 January (a placeholder), same year",
)
_FIRST_OF_JANUARY = cll.CustomLevel(
    "date_of_birth_l IS NULL OR date_of_birth_r IS NULL",
    label_for_charts="1 January (a placeholder), other year",
)


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
                Level(_exact_tf("given_name"), 0.845, 0.01),
                Level(_NAMES_SWAPPED, 0.005, 1e-4),
                Level(cll.ArrayIntersectLevel("given_name_groups", 1), 0.06, 0.002),
                Level(cll.JaroWinklerLevel("given_name", 0.9), 0.05, 0.004),
                Level(_INITIAL, 0.015, 0.0015),
                Level(cll.ElseLevel(), 0.025, 0.9824),
            ],
        ),
        _comparison(
            "family_name",
            [
                Level(_exact_tf("family_name"), 0.87, 0.002),
                Level(_NAMES_SWAPPED, 0.005, 1e-4),
                Level(cll.DamerauLevenshteinLevel("family_name", 1), 0.06, 0.001),
                Level(cll.JaroWinklerLevel("family_name", 0.88), 0.03, 0.004),
                Level(cll.ElseLevel(), 0.035, 0.9929),
            ],
        ),
        _comparison(
            "date_of_birth",
            [
                Level(_FIRST_OF_JANUARY_SAME_YEAR, 0.005, 1.2e-4),
                Level(_FIRST_OF_JANUARY, 0.0005, 0.0099),
                Level(cll.ExactMatchLevel("date_of_birth"), 0.9345, 5e-5),
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
                Level(cll.ElseLevel(), 0.015, 0.98941),
            ],
            null_level=cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL"),
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


def nickname_table() -> pa.Table:
    groups = nickname_groups()
    return pa.table({"name": list(groups), "groups": list(groups.values())})


def is_placeholder_dob_sql(column: str) -> str:
    """SQL: the date of birth is a configured placeholder (its year means nothing either)."""
    dates = ", ".join(f"DATE '{d}'" for d in PLACEHOLDER_DATES_OF_BIRTH)
    return f"{column} IN ({dates})"


def usable_dob_sql(column: str) -> str:
    """SQL: the date of birth, or NULL when it is a placeholder or 1 January (see above)."""
    return (
        f"CASE WHEN {is_placeholder_dob_sql(column)} OR strftime({column}, '%m-%d') = '01-01' "
        f"THEN NULL ELSE {column} END"
    )


# Names compare as upper-case letters only; postcodes are already normalised ('SS1 2AB').
FEATURES_SQL = f"""
WITH cleaned AS (
    SELECT unique_id, person_key, nhs_number, sex, postcode,
        {usable_dob_sql("date_of_birth")} AS date_of_birth,
        CASE WHEN NOT {is_placeholder_dob_sql("date_of_birth")} THEN year(date_of_birth) END
            AS birth_year,
        nullif(regexp_replace(upper(given_name), '[^A-Z]', '', 'g'), '') AS given_name,
        nullif(regexp_replace(upper(family_name), '[^A-Z]', '', 'g'), '') AS family_name
    FROM {{source}}
)
SELECT c.unique_id, c.person_key, c.nhs_number, c.given_name, c.family_name,
    n.groups AS given_name_groups,
    c.date_of_birth, CAST(c.date_of_birth AS VARCHAR) AS dob_text,
    c.birth_year, month(c.date_of_birth) AS birth_month,
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


def best_candidates(
    new_records: pa.Table, known: pa.Table, known_people: int, parameters: str = "fixed"
) -> pa.Table:
    """For each new record, its most probable known person (if any pair scored above KEEP_ABOVE)
    and the match weight of the runner-up person, if any (see TIE_MARGIN).

    new_records: unique_id, nhs_number, given_name, family_name, date_of_birth, sex, postcode.
    known: the same plus person_key (one row per distinct identity seen for a person).
    Each an Arrow table or record batch reader (read once, into the linkage's own DuckDB).
    parameters: "fixed" (the documented m and u) or "estimated" (see estimate).
    Returns unique_id, person_key, match_weight, match_probability, runner_up_weight.
    """
    if parameters not in PARAMETERS:
        raise ValueError(f"linkage parameters must be one of {', '.join(PARAMETERS)}")
    engine = os.environ.get(ENGINE_VARIABLE) or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_VARIABLE} must be one of {', '.join(ENGINES)}")
    if engine == "spark":
        from joinedup.engine import linkage

        return linkage.best_candidates(new_records, known, known_people, parameters)
    if isinstance(new_records, pa.Table) and new_records.num_rows == 0:
        return empty_candidates()
    con = duck.connect(memory_limit=duck.load_memory_limit())  # the linkage's own workspace
    try:
        if not _features(con, new_records, known):
            return empty_candidates()
        return _score(con, known_people, parameters)
    except SplinkException as error:  # a full disk or memory inside Splink: DuckDB's own error,
        if isinstance(error.__cause__, duckdb.Error):  # which the load reports in one line
            raise error.__cause__ from None
        raise
    finally:
        con.close()


def empty_candidates() -> pa.Table:
    """best_candidates' answer when nothing scored: its columns, no row."""
    return pa.table(
        {
            "unique_id": pa.array([], pa.string()),
            "person_key": pa.array([], pa.int64()),
            "match_weight": pa.array([], pa.float64()),
            "match_probability": pa.array([], pa.float64()),
            "runner_up_weight": pa.array([], pa.float64()),
        }
    )


def _features(con, new_records, known) -> bool:
    """Tables new_features and known_features; False when either side has no record."""
    con.register("nicknames", nickname_table())
    new = "(SELECT *, CAST(NULL AS BIGINT) AS person_key FROM new_input)"
    for name, rows, source in (("new", new_records, new), ("known", known, "known_input")):
        con.register(f"{name}_input", rows)
        try:
            con.execute(f"CREATE TABLE {name}_features AS {FEATURES_SQL.format(source=source)}")
        finally:
            con.unregister(f"{name}_input")
    return bool(_rows(con, "new_features") and _rows(con, "known_features"))


def _rows(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _score(con, known_people: int, parameters) -> pa.Table:
    con.execute("SET enable_progress_bar = false")
    db_api = DuckDBAPI(connection=con)
    new_df = db_api.register("new_features", dataset_display_name="new")
    known_df = db_api.register("known_features", dataset_display_name="known")
    quiet_splink()
    linker = Linker([new_df, known_df], settings(known_people), log_level=None)
    if parameters == "estimated":
        estimate(linker)
    # Candidate pairs are made and scored chunk by chunk (each pair in exactly one chunk), so
    # that a large area's pairs need not all be held at once; the scores do not change.
    per_chunk = duck.batch_rows() * CHUNK_BATCHES
    predictions = linker.inference.predict(
        threshold_match_probability=KEEP_ABOVE,
        num_chunks_left=-(-_rows(con, "new_features") // per_chunk),
        num_chunks_right=-(-_rows(con, "known_features") // per_chunk),
    )
    return con.sql(best_sql(predictions.physical_name)).to_arrow_table()


# EM rounds for the estimated model: each blocks on some comparisons, so that the others' m
# probabilities can be learnt from the pairs it makes.
EM_BLOCKING_RULES = [
    "l.date_of_birth = r.date_of_birth",
    "l.family_name = r.family_name AND l.postcode = r.postcode",
]


def estimate(linker) -> None:
    """Splink's own training on the records at hand: u by random sampling (seeded, so that the
    same inputs give the same model), then m by expectation maximisation. The fixed prior is
    kept; a level the data cannot inform keeps its fixed value."""
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in EM_BLOCKING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True
        )


def best_sql(predictions: str) -> str:
    """One row per new record: the best known person, whichever side Splink put it on, and the
    runner-up person's weight."""
    return f"""
    WITH pairs AS (
        SELECT
            CASE WHEN source_dataset_l = 'new' THEN unique_id_l ELSE unique_id_r END AS unique_id,
            CASE WHEN source_dataset_l = 'new' THEN person_key_r ELSE person_key_l END AS person_key,
            match_weight, match_probability
        FROM {predictions}
    ), per_person AS (
        SELECT unique_id, person_key, max(match_weight) AS match_weight,
            max(match_probability) AS match_probability
        FROM pairs GROUP BY unique_id, person_key
    ), ranked AS (
        SELECT *, row_number() OVER (
            PARTITION BY unique_id ORDER BY match_weight DESC, person_key
        ) AS rank
        FROM per_person
    )
    SELECT b.unique_id, CAST(b.person_key AS BIGINT) AS person_key, b.match_weight,
        b.match_probability, r.match_weight AS runner_up_weight
    FROM ranked b LEFT JOIN ranked r ON r.unique_id = b.unique_id AND r.rank = 2
    WHERE b.rank = 1 ORDER BY b.unique_id
    """


def quiet_splink() -> None:
    # Splink's own messages are about its progress (and, when training, levels the records at
    # hand cannot inform, which keep their fixed values): keep them off the console.
    logging.getLogger("splink").setLevel(logging.ERROR)
