"""Legitimate relationships (GOVERNANCE.md): the one decision of whether a user may see a person's
identifiable record on a day, and the rule that allowed or refused it (written into the audit).

A relationship holds through one of its causes:
- `registration`: one of the user's practices (a `gp_practice` organisation of the user, or the
  organisation of one of their `practice` teams) is the person's registered practice that day
  (registered on or before it, not deregistered on or before it);
- `caseload`: an explicit caseload entry of one of the user's teams, from its acceptance until it
  is closed (the closing day ends it) or 90 days after the team's last recorded contact;
- `episode`: an open episode of a team's own organisation: an open hospital spell for a
  `hospital_team`, an active social care SERVICE for a `social_care_team` (start and end days
  included).
Each cause ends with its end; for `GRACE_DAYS` after that (counted from the first day it no longer
holds) the rule is `<cause>_grace`. With none of them, a `gp`, `clinician` or `social_worker` who
broke the glass for this person that day, with a reason, sees the record marked (`break_glass`).

This module decides on facts it is given (`PersonFacts`); gathering them from the warehouse and
the service store is the caller's work, so every clause is testable case by case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from joinedup.governance.access import ROLES
from joinedup.governance.register import Register, User

GRACE_DAYS = 30
CASELOAD_EXPIRY_DAYS = 90
BREAK_GLASS_ROLES = ("gp", "clinician", "social_worker")
# episode kind -> the team kind whose organisation's open episode makes the relationship
EPISODE_TEAMS = {"hospital_spell": "hospital_team", "social_care_service": "social_care_team"}


@dataclass(frozen=True)
class Registration:
    practice: str
    start: dt.date
    end: dt.date | None  # deregistration date: the relationship ends on it


@dataclass(frozen=True)
class Episode:
    kind: str  # a key of EPISODE_TEAMS
    organisation: str  # the organisation that holds the episode (provider, council)
    start: dt.date
    end: dt.date | None  # last day (discharge, service end); None while open


@dataclass(frozen=True)
class CaseloadEntry:
    team: str
    accepted: dt.date
    reason: str
    closed: dt.date | None = None
    last_contact: dt.date | None = None  # the team's last recorded contact with the person


@dataclass(frozen=True)
class BreakGlass:
    user: str
    day: dt.date
    reason: str


@dataclass(frozen=True)
class PersonFacts:
    registrations: tuple[Registration, ...] = ()
    episodes: tuple[Episode, ...] = ()
    caseload: tuple[CaseloadEntry, ...] = ()
    break_glass: tuple[BreakGlass, ...] = ()


@dataclass(frozen=True)
class Relationship:
    allowed: bool
    rule: str  # registration, caseload, episode, <cause>_grace, break_glass, or the refusal
    detail: str  # which practice, team or organisation (codes only, never the person)
    marked: bool = False  # a break-glass view, shown marked and alerted

    @property
    def audit_rule(self) -> str:
        return f"relationship:{self.rule}"


@dataclass(frozen=True)
class _Cause:
    rule: str
    detail: str
    start: dt.date
    end: dt.date | None  # first day on which the cause no longer holds

    def holds(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def in_grace(self, day: dt.date) -> bool:
        return self.end is not None and self.end <= day < self.end + dt.timedelta(GRACE_DAYS)


def user_practices(register: Register, user: User) -> set[str]:
    practices = {t.organisation for t in _teams(register, user) if t.kind == "practice"}
    organisation = register.organisations.get(user.organisation)
    if organisation is not None and organisation.kind == "gp_practice":
        practices.add(organisation.code)
    return practices


def _teams(register: Register, user: User):
    return [register.teams[code] for code in user.teams if code in register.teams]


def _causes(register: Register, user: User, facts: PersonFacts) -> list[_Cause]:
    practices = user_practices(register, user)
    causes = [
        _Cause("registration", r.practice, r.start, r.end)
        for r in facts.registrations
        if r.practice in practices
    ]
    teams = {t.code: t for t in _teams(register, user)}
    for entry in facts.caseload:
        if entry.team in teams:
            last = max(entry.accepted, entry.last_contact or entry.accepted)
            expiry = last + dt.timedelta(CASELOAD_EXPIRY_DAYS + 1)
            end = expiry if entry.closed is None else min(entry.closed, expiry)
            causes.append(_Cause("caseload", entry.team, entry.accepted, end))
    for episode in facts.episodes:
        for team in teams.values():
            if (
                EPISODE_TEAMS.get(episode.kind) == team.kind
                and team.organisation == episode.organisation
            ):
                end = None if episode.end is None else episode.end + dt.timedelta(1)
                causes.append(_Cause("episode", team.code, episode.start, end))
    return causes


def relationship(
    register: Register, user_id: str, facts: PersonFacts, day: dt.date
) -> Relationship:
    """Whether `user_id` has a legitimate relationship with the person of `facts` on `day`."""
    user = register.active_user(user_id, day)
    if user is None:
        return Relationship(False, "inactive_user", "no active user in the register")
    if "I" not in ROLES[user.role].tiers:
        return Relationship(False, "role_without_tier_i", f"role {user.role} has no tier I")
    causes = _causes(register, user, facts)
    for cause in causes:
        if cause.holds(day):
            return Relationship(True, cause.rule, cause.detail)
    for cause in causes:
        if cause.in_grace(day):
            return Relationship(True, f"{cause.rule}_grace", cause.detail)
    if user.role in BREAK_GLASS_ROLES and any(
        b.user == user.id and b.day == day and b.reason.strip() for b in facts.break_glass
    ):
        return Relationship(True, "break_glass", "reason given", marked=True)
    return Relationship(False, "no_relationship", "no registration, caseload or open episode")
