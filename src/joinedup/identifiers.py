"""Validated identifier value types. An NHS number checks its modulus 11 digit once, at the edge.

The NHS number rule is here once, in the three forms its callers need: a value
(`nhs_number_problem`), a vector of leading digits for the generator (`valid_nhs_numbers`) and SQL
for landing (`nhs_number_valid_sql`); a test holds the three together.

This module handles identifiable values: never log or print what it is given.
"""

from __future__ import annotations

import re

import numpy as np

_SEPARATORS = re.compile(r"[\s-]")
NHS_NUMBER_PATTERN = "^[0-9]{10}$"
_WEIGHTS = np.arange(10, 1, -1)  # weights 10..2 for the first nine digits


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for nine digits, or None when no valid check digit exists."""
    check = int(valid_nhs_numbers(np.array([[int(d) for d in first_nine]]))[0])
    return None if check < 0 else check


def normalise_nhs_number(value: str | None) -> str | None:
    """Strip the spaces and dashes the contract tolerates; None for an empty value."""
    if value is None:
        return None
    compact = _SEPARATORS.sub("", str(value))
    return compact or None


def nhs_number_problem(value: str | None) -> str | None:
    """Why a (non-empty) NHS number is invalid, or None when it is valid.

    Rules: exactly 10 digits after removing spaces and dashes; not all the same digit; the tenth
    digit equals the modulus 11 check digit of the first nine.
    """
    compact = normalise_nhs_number(value)
    if compact is None:
        return "missing"
    if not (len(compact) == 10 and compact.isdigit()):
        return "not 10 digits"
    if len(set(compact)) == 1:
        return "all digits identical"
    if nhs_check_digit(compact[:9]) != int(compact[9]):
        return "fails modulus 11 check"
    return None


def is_valid_nhs_number(value: str | None) -> bool:
    return nhs_number_problem(value) is None


class NhsNumber(str):
    """A valid NHS number, normalised to 10 digits. Construction fails for an invalid one."""

    def __new__(cls, value: str) -> NhsNumber:
        problem = nhs_number_problem(value)
        if problem is not None:
            raise ValueError(f"invalid NHS number: {problem}")
        return super().__new__(cls, normalise_nhs_number(value))

    def __repr__(self) -> str:  # never echo the value itself
        return "NhsNumber(<redacted>)"


def valid_nhs_numbers(first_nine: np.ndarray) -> np.ndarray:
    """Vectorised: given an (n, 9) int array of leading digits, the check digits (-1 where none)."""
    total = first_nine @ _WEIGHTS
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    return np.where(check == 10, -1, check)


def nhs_number_valid_sql(compact: str) -> str:
    """SQL true when a 10-digit NHS number passes modulus 11 and is not one digit repeated."""
    total = " + ".join(
        f"TRY_CAST(substr({compact}, {i}, 1) AS INTEGER) * {11 - i}" for i in range(1, 10)
    )
    check = f"(11 - ({total}) % 11)"
    expected = f"(CASE WHEN {check} = 11 THEN 0 ELSE {check} END)"
    return (
        f"(regexp_matches({compact}, '{NHS_NUMBER_PATTERN}') AND {check} <> 10"
        f" AND {expected} = TRY_CAST(substr({compact}, 10, 1) AS INTEGER)"
        f" AND {compact} <> repeat(substr({compact}, 1, 1), 10))"
    )
