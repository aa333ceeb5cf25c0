"""Change notices (CAG condition 9): when the contract or the register changes a feed, a column,
a purpose, a controller, a processor or a legal basis, the difference is recorded as a notice for
the IG lead to send. The last state and every notice are kept in `<register>.changes.jsonl`
(hash-chained); the first check records the starting state without a notice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from joinedup import contract
from joinedup.governance.chained import ChainedLines
from joinedup.governance.records import data_flows
from joinedup.governance.register import Register, person_level_feeds

WATCHED = ("active", "controllers", "processor", "legal_basis", "purposes", "identifiers", "retention_years")


def changes_log(register: Register) -> ChainedLines:
    path = Path(register.path)
    return ChainedLines(path.with_name(path.name + ".changes.jsonl"), "change log")


def state(register: Register, day: dt.date) -> dict:
    """What a notice compares: per feed its columns and its data-flow entries."""
    feeds = contract.feeds()
    flows = {f["feed"]: f for f in data_flows(register, day)}
    return {
        name: {"columns": list(feeds[name].column_names), **{k: flows[name][k] for k in WATCHED}}
        for name in person_level_feeds()
    }


def differences(old: dict, new: dict) -> list[str]:
    """One plain line per change."""
    lines = [f"feed {f} added" for f in new if f not in old]
    lines += [f"feed {f} removed" for f in old if f not in new]
    for feed in (f for f in new if f in old):
        before, after = old[feed], new[feed]
        for name in sorted(set(before) | set(after)):
            was, now = before.get(name), after.get(name)
            if was == now:
                continue
            if isinstance(was, list) and isinstance(now, list):
                added = [v for v in now if v not in was]
                removed = [v for v in was if v not in now]
                parts = [f"added {', '.join(map(str, added))}"] * bool(added)
                parts += [f"removed {', '.join(map(str, removed))}"] * bool(removed)
                lines.append(f"{feed}: {name} {'; '.join(parts) or 'reordered'}")
            else:
                lines.append(f"{feed}: {name} {was} -> {now}")
    return lines


def record_changes(register: Register, day: dt.date | None = None) -> list[str]:
    """Compare with the last recorded state; record a notice if anything changed. Returns the
    new notice's lines (empty when nothing changed or on the first check)."""
    day = day or dt.date.today()
    now = state(register, day)
    lines: list[str] = []

    def notice(entries: list[dict]) -> dict | None:  # under the log's lock: two services agree
        if not entries:
            return {"kind": "baseline", "date": day.isoformat(), "register": register.sha256,
                    "state": now}  # fmt: skip
        lines.extend(differences(entries[-1]["state"], now))
        if not lines:
            return None
        return {"kind": "notice", "date": day.isoformat(), "register": register.sha256,
                "previous_register": entries[-1]["register"], "changes": lines, "state": now}  # fmt: skip

    changes_log(register).append(notice)
    return lines


def notices(register: Register) -> list[dict]:
    """Every notice recorded, newest first (without the states)."""
    return [
        {k: v for k, v in e.items() if k != "state"}
        for e in reversed(changes_log(register).read())
        if e["kind"] == "notice"
    ]
