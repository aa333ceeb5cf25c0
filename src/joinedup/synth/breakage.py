"""Rows deliberately broken against the contract, so that landing has something to catch.

Each broken row breaks exactly one rule of its feed; each feed rotates through the kinds it can
break, so that every kind of rule is broken at least once in any area of a few thousand people.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from joinedup.contract import Feed

BAD_TYPES = {"integer": "12x", "decimal": "1O5.20", "date": "31/02/2014", "datetime": "2014-13-01 25:00"}
# Kinds that only some feeds can break come first, so that each occurs even in a small area.
KINDS = ("end_before_start", "postcode_format", "nhs_number_format", "future_date", "invalid_code",
         "invalid_type", "required_missing")


def _candidates(feed: Feed, kind: str) -> list[str]:
    cols = feed.columns
    if kind == "required_missing":
        return [c.name for c in cols if c.required]
    if kind == "invalid_code":
        return [c.name for c in cols if c.allowed_codes() is not None]
    if kind == "invalid_type":
        return [c.name for c in cols if c.base_type in BAD_TYPES]
    if kind == "end_before_start":
        return [end for _, end in feed.order]
    if kind == "future_date":
        return [c.name for c in cols if c.base_type == "date" and c.name != "date_of_birth"]
    if kind == "nhs_number_format":
        return ["nhs_number"] if "nhs_number" in feed.column_names else []
    if kind == "postcode_format":
        return ["postcode"] if "postcode" in feed.column_names else []
    raise ValueError(kind)


def _bad_value(feed: Feed, kind: str, column: str, row_text: dict[str, str | None],
               as_of: np.datetime64) -> str | None:
    if kind == "required_missing":
        return None
    if kind == "invalid_code":
        return "ZZ9"
    if kind == "invalid_type":
        return BAD_TYPES[feed.column(column).base_type]
    if kind == "end_before_start":
        start = next(s for s, e in feed.order if e == column)
        start_text = row_text[start]
        day = np.datetime64(start_text[:10]) - np.timedelta64(5, "D")
        return str(day) + (start_text[10:] if feed.column(start).base_type == "datetime" else "")
    if kind == "future_date":  # after any plausible load date
        return "2099-" + str(as_of)[5:10]
    if kind == "nhs_number_format":
        return "94X" + "1234567"
    return "SS1 4A"  # postcode_format: inward code too short


def break_rows(feed: Feed, text: dict[str, pa.Array], n: int, rate: float,
               rng: np.random.Generator, as_of: np.datetime64,
               rotation: Iterator[int]) -> list[tuple[np.ndarray, str, str]]:
    """Break about `rate` of the n rows in place; return (rows, column, rule) for the truth."""
    rows = np.flatnonzero(rng.random(n) < rate)
    broken: list[tuple[np.ndarray, str, str]] = []
    edits: dict[str, list[tuple[int, str | None]]] = {}
    for row in rows:
        starts = [s for s, _ in feed.order if s in text and text[s][row].is_valid]
        kinds = [k for k in KINDS if _candidates(feed, k)
                 and (k != "end_before_start" or any(s in starts for s, _ in feed.order))]
        kind = kinds[next(rotation) % len(kinds)]
        options = _candidates(feed, kind)
        if kind == "end_before_start":
            options = [e for s, e in feed.order if s in starts]
        column = options[int(rng.integers(0, len(options)))]
        row_text = {c: (text[c][row].as_py() if c in text else None) for c in feed.column_names}
        edits.setdefault(column, []).append((row, _bad_value(feed, kind, column, row_text, as_of)))
        broken.append((np.array([row]), column, kind))
    for column, changes in edits.items():
        values = text[column].to_numpy(zero_copy_only=False).astype(object) if column in text \
            else np.full(n, None, dtype=object)
        for row, value in changes:
            values[row] = value
        text[column] = pa.array(values, pa.string())
    return broken
