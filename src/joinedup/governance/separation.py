"""Role separation within tier I (GOVERNANCE.md) as data, and the record filter that applies it
with the `DIRECT` objection.

`VISIBLE` says, per tier I role, which feeds it may see and which of their columns; a feed or
column not named is not shown. GPs and clinicians see every tier I feed in full; social workers
see no GP-sourced feed, hospital admissions, discharges and delays without any diagnosis, and
community and urgent care but not mental health.
"""

from __future__ import annotations

from dataclasses import dataclass

from joinedup import contract
from joinedup.governance.register import Register
from joinedup.warehouse import schema

ALL = "*"
TIER_I_FEEDS = ("gp_conditions", "gp_medications", "gp_appointments", "acute_apc", "acute_ae",
                "delayed_transfers", "community_contacts", "mental_health_contacts",
                "urgent_care_contacts", "social_care_events", "deaths", "eol_register")  # fmt: skip
FULL = {feed: ALL for feed in TIER_I_FEEDS}
VISIBLE: dict[str, dict[str, tuple[str, ...] | str]] = {
    "gp": FULL,
    "clinician": FULL,
    "social_worker": {
        "acute_apc": ("provider_code", "admission_date", "discharge_date", "admission_method",
                      "patient_classification", "discharge_method", "discharge_destination",
                      "ready_for_discharge_date"),
        "delayed_transfers": ("provider_code", "ready_date", "transfer_date", "reason", "agency"),
        "community_contacts": ALL,
        "urgent_care_contacts": ALL,
        "social_care_events": ALL,
        "deaths": ("date_of_death", "place_of_death"),  # no underlying cause (a diagnosis)
        "eol_register": ALL,
    },
}  # fmt: skip
# the column naming the organisation that sent each row, where the feed has one
SENDER_COLUMN = {"gp_conditions": "practice_code", "gp_medications": "practice_code",
                 "gp_appointments": "practice_code", "acute_apc": "provider_code",
                 "acute_ae": "provider_code", "delayed_transfers": "provider_code"}  # fmt: skip
HIDDEN = {
    "pseudo_id",
    *(n for n, _ in schema.LINEAGE_COLUMNS),
    *(n for n, _ in schema.GEOGRAPHY_COLUMNS),
}
DIRECT_NOTICE = (
    "This person has objected to sharing their record between organisations for direct care:"
    " only the rows your own organisation sent are shown."
)


def columns(role: str, feed: str) -> tuple[str, ...]:
    """The columns of `feed` that `role` may see, in the warehouse's order (none: not shown)."""
    allowed = VISIBLE.get(role, {}).get(feed)
    if allowed is None:
        return ()
    names = [
        n
        for n, _ in schema.warehouse_columns(contract.feeds()[feed])
        if n not in HIDDEN and not n.startswith("age_at_")
    ]
    return tuple(names) if allowed == ALL else tuple(n for n in names if n in allowed)


def sender(register: Register, feed: str, row: dict) -> str | None:
    """The organisation that sent `row`: its sender column, else the feed's only sender."""
    if feed in SENDER_COLUMN:
        return row.get(SENDER_COLUMN[feed])
    senders = [o.code for o in register.organisations.values() if feed in o.feeds]
    return senders[0] if len(senders) == 1 else None


@dataclass(frozen=True)
class Filtered:
    rows: dict[str, list[dict]]  # feed -> rows, only the columns the role may see
    objected: bool
    notice: str | None


def filter_record(
    register: Register,
    role: str,
    organisation: str,
    rows: dict[str, list[dict]],
    direct_objection: bool,
) -> Filtered:
    """A person's rows as `role` of `organisation` may see them: role separation, then (with a
    `DIRECT` objection) only the rows that organisation sent."""
    out: dict[str, list[dict]] = {}
    for feed, feed_rows in rows.items():
        shown = columns(role, feed)
        if not shown:
            continue
        kept = [
            r
            for r in feed_rows
            if not direct_objection or sender(register, feed, r) == organisation
        ]
        out[feed] = [{c: r.get(c) for c in shown} for r in kept]
    return Filtered(out, direct_objection, DIRECT_NOTICE if direct_objection else None)
