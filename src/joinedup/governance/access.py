"""Roles, purposes and tiers (GOVERNANCE.md) as data, and the one deny-by-default decision.

Every page and endpoint of the service names one rule of `RULES`; a request is allowed only when
its session's role and purpose satisfy that rule. A route with no rule is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

PURPOSES = (
    "direct_care",
    "case_finding",
    "commissioning",
    "jsna",
    "emergency_planning",
    "evaluation",
    "oversight",
    "linkage_review",
    "administration",
)
ANALYSIS = ("commissioning", "jsna", "evaluation", "emergency_planning")
CARE = ("direct_care", "case_finding")
# for running the system, not uses of the data: agreements name the uses, the roles these
SYSTEM = ("oversight", "linkage_review", "administration")


@dataclass(frozen=True)
class Role:
    tiers: tuple[str, ...]  # A aggregate, P pseudonymised, I identifiable
    purposes: tuple[str, ...]


ROLES: dict[str, Role] = {
    "board": Role(("A",), ("commissioning", "jsna")),
    "analyst": Role(("A", "P"), ANALYSIS),
    "super_user": Role(("A", "P"), ANALYSIS),
    "gp": Role(("A", "I"), CARE),
    "clinician": Role(("A", "I"), CARE),
    "social_worker": Role(("A", "I"), CARE),
    "ig_lead": Role(("A",), ("oversight",)),
    "linkage_officer": Role((), ("linkage_review",)),
    "admin": Role(("A",), ("administration",)),
}
WITH_TIER_A = tuple(name for name, role in ROLES.items() if "A" in role.tiers)


@dataclass(frozen=True)
class Rule:
    """Who may use a route: `roles` None means anybody, signed in or not (`public`)."""

    name: str
    tier: str  # A, P, I, audit, admin, review, session, public: what the route shows
    roles: tuple[str, ...] | None
    description: str


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("public", "public", None, "anybody: sign-in, assets, the API description"),
        Rule("signed_in", "session", tuple(ROLES), "any signed-in user: home, sign out"),
        Rule("tier_a", "A", WITH_TIER_A, "roles with tier A: disclosure-controlled aggregates"),
        Rule("tier_p", "P", ("analyst", "super_user"), "tier P, read only: pseudonymised rows"),
        Rule("export", "P", ("super_user",), "tier P exports (audited, export pseudonyms)"),
        Rule("views", "P", ("super_user",), "save a cohort as a named view; publish it to tier A"),
        Rule("tier_i", "I", ("gp", "clinician", "social_worker"),
             "tier I, direct care: each person only with a legitimate relationship"),
        Rule("audit", "audit", ("ig_lead",), "the audit log, its chain, alerts and the register"),
        Rule("admin", "admin", ("admin",), "loads, quality, users; no person-level data"),
        Rule("review", "review", ("linkage_officer",),
             "identity review: held linkage pairs of feeds whose agreement switches review on"
             " (identities only, never event data)"),
    )
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request (from the register and the session)."""

    user: str
    name: str
    organisation: str
    role: str
    purpose: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int  # 200, 401 signed out, 403 refused
    rule: str
    reason: str


def purposes_of(role: str) -> tuple[str, ...]:
    return ROLES[role].purposes if role in ROLES else ()


def decide(principal: Principal | None, rule_name: str | None) -> Decision:
    """Allow only what a rule names; unknown rules, roles and purposes are refused."""
    rule = RULES.get(rule_name or "")
    if rule is None:
        return Decision(False, 403, "none", "no rule names this route")
    if rule.roles is None:
        return Decision(True, 200, rule.name, "public")
    if principal is None:
        return Decision(False, 401, rule.name, "signed out")
    if principal.role not in ROLES or principal.purpose not in purposes_of(principal.role):
        return Decision(False, 403, rule.name, "no active role for this purpose")
    if principal.role not in rule.roles:
        return Decision(False, 403, rule.name, f"role {principal.role} is not in rule {rule.name}")
    return Decision(True, 200, rule.name, f"role {principal.role} in rule {rule.name}")
