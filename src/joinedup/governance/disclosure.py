"""Disclosure control for every aggregate output (DESIGN.md tier A).

`round5` (the default, as DESIGN.md and OpenSAFELY's ehrQL `measures/disclosure_control.py`):
counts 1-7 are suppressed, every other count is rounded to the nearest 5. `midpoint6` is
OpenSAFELY's "midpoint 6" rounding (docs.opensafely.org, releasing-files: `ceiling(x/6)*6 - 3` for
x > 0), which keeps zero as zero and is unbiased; its 1-6 -> 3 is a label, not a disclosure, so it
suppresses nothing.

Each figure is rounded from its own true value: a total is the rounded true total, never the sum
of rounded parts. A breakdown's groups (records with `group`, metrics.md "Breakdowns") also get
secondary suppression: within each table (one metric, period and dimension; its numerators, and
apart its denominators) no suppressed cell may be worked out from the area's total and the other
cells, so a table never has exactly one suppressed cell, nor suppressed cells that can only be
ones; the smallest published non-zero cells are suppressed until that holds. Rates and percentages are recomputed from the rounded numerator and denominator;
an estimated denominator (dementia's expected prevalence) is made a whole number, then rounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

METHODS = ("round5", "midpoint6")
SUPPRESSION_THRESHOLD = 7
ROUNDING_MULTIPLE = 5
MIDPOINT_MULTIPLE = 6
MONEY_ROUNDING = 1_000

# value = numerator / denominator × scale, recomputed after rounding
RATE_SCALE = {"percent": 100, "per_100k": 100_000}


def suppress(n: int) -> int | None:
    """None for a count of 1 to 7, the count otherwise."""
    count = _count(n)
    return None if 1 <= count <= SUPPRESSION_THRESHOLD else count


def round_count(n: int, method: str = "round5") -> int | None:
    """A count after disclosure control: None when suppressed."""
    count = _count(n)
    if method == "round5":
        kept = suppress(count)
        return None if kept is None else ROUNDING_MULTIPLE * round(kept / ROUNDING_MULTIPLE)
    if method == "midpoint6":
        if count == 0:
            return 0
        return math.ceil(count / MIDPOINT_MULTIPLE) * MIDPOINT_MULTIPLE - MIDPOINT_MULTIPLE // 2
    raise ValueError(f"disclosure control method must be one of {METHODS}, not {method!r}")


def rounded_money(gbp: float | None) -> int | None:
    """Money published to the nearest £1,000, halves up (not Python's round-half-to-even)."""
    return None if gbp is None else math.floor(gbp / MONEY_ROUNDING + 0.5) * MONEY_ROUNDING


def count(n: int | None, method: str = "round5") -> int | None:
    """One published count of a table (None stays None)."""
    return None if n is None else round_count(int(n), method)


def parts(raw: dict[Hashable, int], method: str = "round5") -> dict[Hashable, int | None]:
    """The parts of a published total (each rounded from its own value), with secondary
    suppression: the smallest shown parts are hidden too while the hidden ones could be worked
    out from the total."""
    out = {key: count(n, method) for key, n in raw.items()}
    hidden = [k for k, v in out.items() if v is None and raw[k] > 0]
    for key in _also_hidden(raw, hidden):
        out[key] = None
    return out


def apply_disclosure_control(
    metrics: list[dict], method: str = "round5", round_money: bool = False
) -> list[dict]:
    """Disclosure-controlled copies of metric records shaped as metrics.md "Output shape".

    Each copy gains `disclosure_control` (the method) and `suppressed` (the fields set to None,
    breakdown entries as dotted paths). `round_money`: spend (unit gbp) is also published to
    the nearest £1,000 and its value recomputed (the service's tier A pages).
    """
    if method not in METHODS:
        raise ValueError(f"disclosure control method must be one of {METHODS}, not {method!r}")
    controlled = [_controlled_record(record, method) for record in metrics]
    if method == "round5":  # midpoint6 suppresses nothing, so there is nothing to protect
        _suppress_secondary(metrics, controlled)
    if round_money:
        controlled = [_money_rounded(r) if r.get("unit") == "gbp" else r for r in controlled]
    return controlled


def _money_rounded(record: dict) -> dict:
    out = dict(record)
    out["numerator"] = rounded_money(record.get("numerator"))
    denominator = record.get("denominator")
    out["value"] = (
        out["numerator"] / denominator if out["numerator"] is not None and denominator else None
    )
    out["breakdown"] = _money_breakdown(record.get("breakdown") or {})
    return out


def _money_breakdown(breakdown: dict) -> dict:
    return {
        key: _money_breakdown(v)
        if isinstance(v, dict)
        else rounded_money(v)
        if isinstance(v, int | float)
        else None
        for key, v in breakdown.items()
    }


def _suppress_secondary(originals: list[dict], controlled: list[dict]) -> None:
    """Secondary suppression across each breakdown table, in place on `controlled`."""
    tables: dict[tuple, list[int]] = {}
    for i, record in enumerate(originals):
        if record.get("group") is not None:
            key = (record["id"], record["grain"], record["period"], record.get("by"))
            tables.setdefault(key, []).append(i)
    for cells in tables.values():
        for field in ("numerator", "denominator"):
            values = {i: originals[i][field] for i in cells if _is_count(originals[i].get(field))}
            hidden = [i for i in values if controlled[i][field] is None]
            for i in _also_hidden(values, hidden, label=lambda i: originals[i]["group"]):
                _hide(controlled[i], field)


def _also_hidden(
    values: dict[Hashable, int], hidden: list, label: Callable[[Any], Any] = lambda key: key
) -> list:
    """The cells to hide besides `hidden` so that none of them follows from the table's total:
    the smallest shown non-zero cells first (ties by label)."""
    hidden, extra = list(hidden), []
    while hidden and _recoverable([values[k] for k in hidden]):
        shown = [k for k in values if k not in hidden and values[k] > 0]
        if not shown:
            break
        chosen = min(shown, key=lambda k: (values[k], label(k)))
        hidden.append(chosen)
        extra.append(chosen)
    return extra


def _recoverable(hidden: list[int]) -> bool:
    """True when the suppressed cells' values follow from their sum (the total less the other
    cells): a single cell, or cells that can only all be ones."""
    return len(hidden) == 1 or sum(hidden) == len(hidden)


def _hide(record: dict, field: str) -> None:
    for name in (field, "value"):
        if record.get(name) is not None:
            record[name] = None
            record["suppressed"].append(name)


def _count(n: Any) -> int:
    if not _is_count(n):
        raise ValueError(f"a count must be a whole number of 0 or more, not {n!r}")
    return int(n)


def _controlled_record(record: dict, method: str) -> dict:
    suppressed: list[str] = []
    unit = record.get("unit")
    out = _controlled_figures(record, unit, method, suppressed, prefix="")
    breakdown = record.get("breakdown") or {}
    if unit != "gbp":
        out["breakdown"] = _controlled_breakdown(breakdown, unit, method, suppressed, "breakdown")
    elif record.get("denominator") is not None and out["denominator"] is None:
        out["breakdown"] = _blanked(breakdown, suppressed, "breakdown")
    else:
        # spend breakdowns are money: published when the record's people count is
        out["breakdown"] = breakdown
    out["disclosure_control"] = method
    out["suppressed"] = suppressed
    return out


def _controlled_figures(
    record: dict, unit: str | None, method: str, suppressed: list[str], prefix: str
) -> dict:
    """numerator, denominator and value of one record (or of a breakdown entry that has them)."""
    if unit == "gbp":
        return _controlled_money(record, method, suppressed, prefix)
    out = dict(record)
    numerator = _rounded(record.get("numerator"), method)
    denominator = _rounded(record.get("denominator"), method)
    out["numerator"], out["denominator"] = numerator, denominator
    out["value"] = _recomputed_value(record, unit, numerator, denominator, method)
    _note_suppressed(record, out, suppressed, prefix)
    return out


def _controlled_money(record: dict, method: str, suppressed: list[str], prefix: str) -> dict:
    """Spend (numerator) over people (denominator): money is not rounded, but none of it is
    published when the people are few enough to be suppressed."""
    out = dict(record)
    if record.get("denominator") is None:
        return out
    out["denominator"] = _rounded(record["denominator"], method)
    if out["denominator"] is None:
        out["numerator"] = out["value"] = None
    _note_suppressed(record, out, suppressed, prefix)
    return out


def _note_suppressed(record: dict, out: dict, suppressed: list[str], prefix: str) -> None:
    for field in ("numerator", "denominator", "value"):
        if record.get(field) is not None and out.get(field) is None:
            suppressed.append(prefix + field)


def _rounded(n: Any, method: str) -> int | None:
    """A count after control; an estimated count (e.g. expected prevalence) is first made whole."""
    if n is None:
        return None
    if isinstance(n, float) and math.isfinite(n) and n >= 0:
        n = round(n)
    return round_count(n, method)


def _recomputed_value(
    record: dict, unit: str | None, numerator: int | None, denominator: int | None, method: str
) -> float | None:
    if record.get("value") is None:
        return None
    if unit == "dsr_per_100k":
        # A standardised rate is not one numerator over one denominator: publish it only when
        # its crude count would survive suppression.
        crude = record.get("numerator")
        return record["value"] if crude is not None and suppress(crude) is not None else None
    if unit in RATE_SCALE:
        return _ratio(numerator, denominator, RATE_SCALE[unit])
    if record.get("denominator") is None:
        # a plain count: the value is the count itself
        return _rounded(record["value"], method)
    # a count per person (e.g. emergency spells per person in the last year of life)
    return _ratio(numerator, denominator, 1)


def _ratio(numerator: int | None, denominator: int | None, scale: int) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * scale


def _controlled_breakdown(
    breakdown: dict, unit: str | None, method: str, suppressed: list[str], path: str
) -> dict:
    out: dict = {}
    for key, item in breakdown.items():
        where = f"{path}.{key}"
        if isinstance(item, dict) and ("numerator" in item or "value" in item):
            out[key] = _controlled_figures(item, unit, method, suppressed, where + ".")
        elif isinstance(item, dict):
            out[key] = _controlled_breakdown(item, unit, method, suppressed, where)
        elif item is None:
            out[key] = None
        elif _is_count(item):
            out[key] = round_count(item, method)
            if out[key] is None:
                suppressed.append(where)
        else:
            # a figure that is not a count cannot be recomputed from rounded counts
            out[key] = None
            suppressed.append(where)
    return out


def _blanked(breakdown: dict, suppressed: list[str], path: str) -> dict:
    out: dict = {}
    for key, item in breakdown.items():
        where = f"{path}.{key}"
        if isinstance(item, dict):
            out[key] = _blanked(item, suppressed, where)
        else:
            out[key] = None
            suppressed.append(where)
    return out


def _is_count(n: Any) -> bool:
    if isinstance(n, bool) or not isinstance(n, int | float):
        return False
    return math.isfinite(n) and n >= 0 and n == int(n)
