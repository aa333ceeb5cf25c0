"""The tier A gate for the service's own tables (GOVERNANCE.md tier A): counts 1-7 suppressed,
others rounded to 5, money to the nearest £1,000, and secondary suppression where a total and
its parts are shown. Uses the metric stage's disclosure rules; `None` is a suppressed cell."""

from __future__ import annotations

from joinedup.governance.disclosure import (
    _recoverable,
    apply_disclosure_control,
    round_count,
    rounded_money,
)


def count(n: int | None) -> int | None:
    return None if n is None else round_count(int(n))


def money(gbp: float | None) -> int | None:
    return None if gbp is None else int(rounded_money(gbp))


def parts(raw: dict[str, int]) -> dict[str, int | None]:
    """Parts of a shown total, rounded, with the metric gate's secondary suppression: the
    smallest shown parts are hidden too while the hidden ones could be worked out from the total."""
    out = {key: count(n) for key, n in raw.items()}
    hidden = [k for k, v in out.items() if v is None and raw[k] > 0]
    while hidden and _recoverable([raw[k] for k in hidden]):
        shown = [k for k, v in out.items() if v is not None and raw[k] > 0]
        if not shown:
            break
        chosen = min(shown, key=lambda k: (raw[k], k))
        out[chosen] = None
        hidden.append(chosen)
    return out


def metric_records(records: list[dict]) -> list[dict]:
    """metrics.md records after disclosure control, with money rounded to £1,000."""
    out = []
    for record in apply_disclosure_control(records):
        if record.get("unit") == "gbp":
            record = dict(record)
            record["numerator"] = money(record.get("numerator"))
            denominator = record.get("denominator")
            record["value"] = (
                record["numerator"] / denominator
                if record["numerator"] is not None and denominator
                else None
            )
            record["breakdown"] = _money_breakdown(record.get("breakdown") or {})
        out.append(record)
    return out


def _money_breakdown(breakdown: dict) -> dict:
    return {
        key: _money_breakdown(v)
        if isinstance(v, dict)
        else money(v)
        if isinstance(v, int | float)
        else None
        for key, v in breakdown.items()
    }
