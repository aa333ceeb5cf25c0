"""The contract's row rules as SQL, generated from the contract (see contract/README.md).

Every rule is a boolean SQL expression over a staged row: each contract column as trimmed VARCHAR,
an empty cell as NULL. A row is rejected with every rule it fails, each named by column and rule.
Typed values (`typed_sql`) are only taken from rows that passed, so their casts cannot fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from joinedup.contract import POSTCODE_PATTERN, Column, Feed
from joinedup.identifiers import NHS_NUMBER_PATTERN, nhs_number_valid_sql  # noqa: F401 (landing's rules)
from joinedup.yaml_files import packaged_yaml

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
INTEGER_PATTERN = "^[+-]?[0-9]+$"
DECIMAL_PATTERN = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"


@dataclass(frozen=True)
class Rule:
    column: str
    rule: str
    failed_sql: str  # true when the row breaks the rule


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def compact_nhs_number_sql(value: str) -> str:
    """The NHS number without the spaces and dashes the contract tolerates."""
    return f"regexp_replace({value}, '[ -]', '', 'g')"


def compact_postcode_sql(value: str) -> str:
    return f"upper(regexp_replace({value}, '\\s', '', 'g'))"


def normalised_postcode_sql(value: str) -> str:
    """'ss12ab' -> 'SS1 2AB', as contract.normalise_postcode (only applied to well-formed ones)."""
    compact = compact_postcode_sql(value)
    return f"(substr({compact}, 1, length({compact}) - 3) || ' ' || right({compact}, 3))"


def typed_sql(column: Column, value: str) -> str:
    """The column's value in its warehouse type, for a row that passed every rule."""
    kind = column.base_type
    if kind == "date":
        return f"CAST({value} AS DATE)"
    if kind == "datetime":
        return f"CAST(replace({value}, 'T', ' ') AS TIMESTAMP)"
    if kind == "integer":
        return f"CAST({value} AS BIGINT)"
    if kind == "decimal":
        return f"CAST({value} AS DOUBLE)"
    if kind == "nhs_number":
        return compact_nhs_number_sql(value)
    if kind == "postcode":
        return normalised_postcode_sql(value)
    return value


def _well_formed_sql(column: Column, value: str) -> str | None:
    """SQL true when a non-empty value has the column's type, or None for free text."""
    kind = column.base_type
    if kind == "date":
        return (
            f"(regexp_matches({value}, '{DATE_PATTERN}') AND TRY_CAST({value} AS DATE) IS NOT NULL)"
        )
    if kind == "datetime":
        cast = f"TRY_CAST(replace({value}, 'T', ' ') AS TIMESTAMP)"
        return f"(regexp_matches({value}, '{DATETIME_PATTERN}') AND {cast} IS NOT NULL)"
    if kind == "integer":
        cast = f"TRY_CAST({value} AS BIGINT)"
        return f"(regexp_matches({value}, '{INTEGER_PATTERN}') AND {cast} IS NOT NULL)"
    if kind == "decimal":
        return f"regexp_matches({value}, '{DECIMAL_PATTERN}')"
    if kind == "nhs_number":
        return f"regexp_matches({compact_nhs_number_sql(value)}, '{NHS_NUMBER_PATTERN}')"
    if kind == "postcode":
        return f"regexp_matches({compact_postcode_sql(value)}, '{POSTCODE_PATTERN.pattern}')"
    codes = column.allowed_codes()
    if codes is not None:
        return f"{value} IN ({', '.join(literal(c) for c in sorted(codes))})"
    return None


# Rule names, as the generator's truth/broken_rows.csv names them.
REQUIRED_RULE = "required_missing"
TYPE_RULES = {
    "date": "invalid_type",
    "datetime": "invalid_type",
    "integer": "invalid_type",
    "decimal": "invalid_type",
    "nhs_number": "nhs_number_format",
    "postcode": "postcode_format",
    "code": "invalid_code",
    "enum": "invalid_code",
}


def _is_temporal(column: Column) -> bool:
    return column.base_type in ("date", "datetime")


def _try_temporal_sql(column: Column, value: str) -> str:
    """A date or datetime value, NULL where malformed: rules must not fail on a bad cell."""
    if column.base_type == "datetime":
        cast = f"TRY_CAST(replace({value}, 'T', ' ') AS TIMESTAMP)"
    else:
        cast = f"TRY_CAST({value} AS DATE)"
    return f"(CASE WHEN {_well_formed_sql(column, value)} THEN {cast} END)"


def feed_rules(feed: Feed, as_of: dt.date) -> list[Rule]:
    """Every rule of a feed's rows, in column order."""
    rules = []
    for column in feed.columns:
        value = quote(column.name)
        if column.required:
            rules.append(Rule(column.name, REQUIRED_RULE, f"{value} IS NULL"))
        well_formed = _well_formed_sql(column, value)
        if well_formed is None:
            continue
        malformed = f"{value} IS NOT NULL AND NOT {well_formed}"
        rules.append(Rule(column.name, TYPE_RULES[column.base_type], malformed))
        if _is_temporal(column):
            as_date = f"CAST({_try_temporal_sql(column, value)} AS DATE)"
            future = f"{as_date} > DATE '{as_of.isoformat()}'"
            rules.append(Rule(column.name, "future_date", future))
    return rules + _order_rules(feed) + _plausibility_rules(feed)


@cache
def plausibility() -> tuple[dict, ...]:
    """The plausibility rules, as data (plausibility.yaml)."""
    return tuple(packaged_yaml(__package__, "plausibility.yaml"))


def _typed_or_null_sql(column: Column, value: str) -> str:
    """The column's typed value where well formed, else NULL (its type rule reports it)."""
    if _is_temporal(column):
        return f"CAST({_try_temporal_sql(column, value)} AS DATE)"
    return f"(CASE WHEN {_well_formed_sql(column, value)} THEN {typed_sql(column, value)} END)"


def _plausibility_rules(feed: Feed) -> list[Rule]:
    rules = []
    for spec in plausibility():
        for name in spec["columns"]:
            if name not in feed.column_names:
                continue
            value = _typed_or_null_sql(feed.column(name), quote(name))
            if spec.get("against") == "other_dates":
                others = [
                    _typed_or_null_sql(c, quote(c.name))
                    for c in feed.columns
                    if _is_temporal(c) and c.name != name
                ]
                checks = [spec["fails"].format(value=value, other=o) for o in others]
            else:
                checks = [spec["fails"].format(value=value)]
            if checks:
                failed = " OR ".join(f"coalesce({c}, false)" for c in checks)
                rules.append(Rule(name, spec["rule"], f"({failed})"))
    return rules


def _order_rules(feed: Feed) -> list[Rule]:
    rules = []
    for start_name, end_name in feed.order:
        start, end = feed.column(start_name), feed.column(end_name)
        end_value = _try_temporal_sql(end, quote(end_name))
        start_value = _try_temporal_sql(start, quote(start_name))
        rules.append(Rule(end_name, "end_before_start", f"{end_value} < {start_value}"))
    return rules


