"""The incident log (GOVERNANCE.md, "Records the IG lead keeps"): one entry per suspected breach,
with its reporting deadline (10 working days after it was found, England's bank holidays counted),
the actions taken, when it was reported and its closure.

The log is its own file of JSON lines, appended to and never rewritten: each line is one event
(`recorded`, `action`, `reported`, `closed`) carrying the SHA-256 of the line before it, so an
edited or deleted line is detected. An incident's state is the fold of its events.
Describe incidents without identifiers: the log holds counts of people, never who they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.governance.chained import ChainedLines
from joinedup.governance.workdays import REPORTING_DAYS, add_working_days, working_days_between

EVENTS = ("recorded", "action", "reported", "closed")


@dataclass
class Incident:
    id: int
    what: str
    found: dt.date
    people_affected: int
    deadline: dt.date
    actions: list[dict] = field(default_factory=list)
    reported: dt.date | None = None
    closed: dt.date | None = None
    outcome: str | None = None

    def overdue(self, today: dt.date) -> bool:
        """Not reported (nor closed as no breach) by its deadline."""
        return self.reported is None and self.closed is None and today > self.deadline

    def as_dict(self, today: dt.date) -> dict:
        left = working_days_between(today, self.deadline) if today <= self.deadline else 0
        return {
            "id": self.id,
            "what": self.what,
            "found": self.found.isoformat(),
            "people_affected": self.people_affected,
            "deadline": self.deadline.isoformat(),
            "working_days_left": left,
            "overdue": self.overdue(today),
            "actions": self.actions,
            "reported": _iso(self.reported),
            "closed": _iso(self.closed),
            "outcome": self.outcome,
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


class IncidentLog:
    """The log at `path` (created on first write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._chain = ChainedLines(self.path, "incident log")

    def incidents(self) -> list[Incident]:
        found: dict[int, Incident] = {}
        for event in self._chain.read():
            _apply(found, event)
        return list(found.values())

    def get(self, incident_id: int) -> Incident:
        for incident in self.incidents():
            if incident.id == incident_id:
                return incident
        raise BadInput(f"{self.path}: no incident {incident_id}")

    def record(self, what: str, found: dt.date, people_affected: int) -> Incident:
        if not what.strip():
            raise BadInput("incident: say what happened (--what)")
        if people_affected < 0:
            raise BadInput("incident: people affected is a count, 0 or more")
        deadline = add_working_days(found, REPORTING_DAYS)

        def numbered(events: list[dict]) -> dict:  # under the log's lock: one number each
            incident_id = max((e["id"] for e in events), default=0) + 1
            return {"event": "recorded", "id": incident_id, "what": what, "found": found.isoformat(),
                    "people_affected": people_affected, "deadline": deadline.isoformat()}  # fmt: skip

        return self.get(self._chain.append(numbered)["id"])

    def action(self, incident_id: int, on: dt.date, text: str) -> Incident:
        self._open(incident_id)
        self._chain.append(
            {"event": "action", "id": incident_id, "on": on.isoformat(), "text": text}
        )
        return self.get(incident_id)

    def reported(self, incident_id: int, on: dt.date, to: str) -> Incident:
        incident = self._open(incident_id)
        if incident.reported:
            raise BadInput(
                f"{self.path}: incident {incident_id} was reported on {incident.reported}"
            )
        self._chain.append({"event": "reported", "id": incident_id, "on": on.isoformat(), "to": to})
        return self.get(incident_id)

    def close(self, incident_id: int, on: dt.date, outcome: str) -> Incident:
        self._open(incident_id)
        self._chain.append(
            {"event": "closed", "id": incident_id, "on": on.isoformat(), "outcome": outcome}
        )
        return self.get(incident_id)

    def _open(self, incident_id: int) -> Incident:
        incident = self.get(incident_id)
        if incident.closed:
            raise BadInput(f"{self.path}: incident {incident_id} is closed")
        return incident


def _apply(found: dict[int, Incident], event: dict) -> None:
    kind, incident_id = event["event"], event["id"]
    if kind == "recorded":
        found[incident_id] = Incident(
            incident_id, event["what"], dt.date.fromisoformat(event["found"]),
            event["people_affected"], dt.date.fromisoformat(event["deadline"]),
        )  # fmt: skip
        return
    incident, on = found[incident_id], dt.date.fromisoformat(event["on"])
    if kind == "action":
        incident.actions.append({"on": event["on"], "text": event["text"]})
    elif kind == "reported":
        incident.reported = on
        incident.actions.append({"on": event["on"], "text": f"reported to {event['to']}"})
    elif kind == "closed":
        incident.closed, incident.outcome = on, event["outcome"]


def overdue(log: IncidentLog, today: dt.date) -> list[Incident]:
    """Incidents past their reporting deadline and neither reported nor closed."""
    return [incident for incident in log.incidents() if incident.overdue(today)]
