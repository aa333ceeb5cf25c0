"""The governance register of a generated area: its organisations (council, CCG, trusts, every
practice, a hospice, the CSU that processes), teams (each practice's own and its
multi-disciplinary team, `MDT-<practice>`), one agreement per feed, one demo user per role, and
the care team members of every practice's MDT (its GP, the locality's community matron and
social worker; no accounts). `joinedup synth` writes it to `DIR/register.yaml`."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import yaml

from joinedup.governance.access import ANALYSIS, CARE

START = dt.date(2013, 1, 1)
COUNCIL, CCG, CSU, HOSPICE = "E06000033", "99G", "0DE", "HSP01"
ACUTE, COMMUNITY, MENTAL_HEALTH, AMBULANCE = "RZA", "RZC", "RZM", "RZU"
PRACTICE_FEEDS = ["gp_register", "gp_conditions", "gp_medications", "gp_appointments",
                  "eol_register", "objections"]  # fmt: skip
TRUSTS = [
    (COUNCIL, "Southend-on-Sea Borough Council", "council",
     ["social_care_events", "deaths", "experience_survey"]),
    (CCG, "Southend Clinical Commissioning Group", "ccg", ["experience_survey", "objections"]),
    (ACUTE, "Southend University Hospital NHS Foundation Trust", "acute_trust",
     ["acute_apc", "acute_ae", "delayed_transfers"]),
    (COMMUNITY, "South Essex Community Services", "community_trust",
     ["community_contacts", "acute_apc", "delayed_transfers"]),
    (MENTAL_HEALTH, "South Essex Mental Health Services", "mental_health_trust",
     ["mental_health_contacts"]),
    (AMBULANCE, "East of England Ambulance Service", "ambulance", ["urgent_care_contacts"]),
    (HOSPICE, "Fair Havens Hospice", "hospice", ["eol_register"]),
    (CSU, "Essex Commissioning Support Unit", "csu", []),
]  # fmt: skip
# (user id, display name, organisation, team codes, role)
DEMO_USERS = [
    ("board.demo", "Demo board member", COUNCIL, [], "board"),
    ("analyst.demo", "Demo analyst", CSU, [], "analyst"),
    ("super.demo", "Demo super-user", CSU, [], "super_user"),
    ("gp.demo", "Demo GP", None, ["practice", "mdt"], "gp"),
    (
        "clinician.demo",
        "Demo community matron",
        COMMUNITY,
        ["integrated", "community", "mdt"],
        "clinician",
    ),
    ("social.demo", "Demo social worker", COUNCIL, ["social_care", "integrated", "mdt"],
     "social_worker"),
    ("ig.demo", "Demo IG lead", CCG, [], "ig_lead"),
    ("linkage.demo", "Demo linkage officer", CSU, [], "linkage_officer"),
    ("admin.demo", "Demo administrator", CSU, [], "admin"),
]
DEMO_USER_IDS = tuple(user[0] for user in DEMO_USERS)


def _practices(area: Path) -> list[dict]:
    with (area / "practices.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def synthetic_register(area: str | Path) -> dict:
    """The register of the generated area in `area` (needs its practices.csv), as YAML data."""
    practices = _practices(Path(area))
    localities = sorted({p["locality"] for p in practices})
    organisations = [
        {"code": code, "name": name, "kind": kind, "feeds": feeds}
        for code, name, kind, feeds in TRUSTS
    ] + [
        {"code": p["practice_code"], "name": p["practice_name"], "kind": "gp_practice",
         "feeds": PRACTICE_FEEDS}
        for p in practices
    ]  # fmt: skip
    teams = (
        [{"code": f"PT-{p['practice_code']}", "organisation": p["practice_code"], "kind": "practice"}
         for p in practices]
        + [{"code": f"MDT-{p['practice_code']}", "organisation": p["practice_code"],
            "kind": "integrated_team"} for p in practices]
        + [{"code": f"IT-{_slug(name)}", "organisation": COMMUNITY, "kind": "integrated_team"}
           for name in localities]
        + [{"code": "CT-DN", "organisation": COMMUNITY, "kind": "community_team"},
           {"code": "SC-ADULTS", "organisation": COUNCIL, "kind": "social_care_team"},
           {"code": "HT-DISCHARGE", "organisation": ACUTE, "kind": "hospital_team"}]
    )  # fmt: skip
    senders: dict[str, list[str]] = {}
    for organisation in organisations:
        for feed in organisation["feeds"]:
            senders.setdefault(feed, []).append(organisation["code"])
    return {
        "organisations": organisations,
        "agreements": [_agreement(feed, codes) for feed, codes in senders.items()],
        "teams": teams,
        "users": [_user(u, practices[0]["practice_code"], practices[0]["locality"])
                  for u in DEMO_USERS] + care_team_members(practices),
        "retention": {"feeds": {}, "quarantine_days": 90},
    }


def _agreement(feed: str, senders: list[str]) -> dict:
    social_care = feed == "social_care_events"
    return {
        "feed": feed,
        "controllers": senders if len(senders) <= 3 else [CCG, *senders[:1]],
        "processor": CSU,
        "legal_basis": "statutory" if social_care else "s251",
        **({} if social_care else {"reference": "CAG 7-07(a)/2013"}),
        "purposes": [*ANALYSIS, *CARE],
        "start": START,
    }


def _user(user: tuple, practice: str, locality: str) -> dict:
    user_id, name, organisation, teams, role = user
    codes = {"practice": f"PT-{practice}", "integrated": f"IT-{_slug(locality)}",
             "community": "CT-DN", "social_care": "SC-ADULTS", "mdt": f"MDT-{practice}"}  # fmt: skip
    return {
        "id": user_id,
        "name": name,
        "organisation": organisation or practice,
        "teams": [codes[t] for t in teams],
        "role": role,
        "start": START,
    }


def care_team_members(practices: list[dict]) -> list[dict]:
    """Each practice's MDT: a GP of the practice; each locality's community matron and social
    worker sit on the MDTs of its practices (users without accounts: the demo's people)."""
    out = []
    for p in practices:
        code = p["practice_code"]
        out.append({"id": f"gp.{code.lower()}", "name": f"GP of {p['practice_name']}",
                    "organisation": code, "teams": [f"PT-{code}", f"MDT-{code}"], "role": "gp",
                    "start": START})  # fmt: skip
    for locality in sorted({p["locality"] for p in practices}):
        mdts = [f"MDT-{p['practice_code']}" for p in practices if p["locality"] == locality]
        slug = _slug(locality)
        out.append({"id": f"matron.{slug.lower()}", "name": f"Community matron, {locality}",
                    "organisation": COMMUNITY, "teams": [f"IT-{slug}", "CT-DN", *mdts],
                    "role": "clinician", "start": START})  # fmt: skip
        out.append({"id": f"social.{slug.lower()}", "name": f"Social worker, {locality}",
                    "organisation": COUNCIL, "teams": [f"IT-{slug}", "SC-ADULTS", *mdts],
                    "role": "social_worker", "start": START})  # fmt: skip
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.upper()).strip("-")


def write_register(area: str | Path) -> Path:
    """Write `area/register.yaml` for the generated area; returns its path."""
    path = Path(area) / "register.yaml"
    header = (
        "# Governance register of a generated area (GOVERNANCE.md); written by joinedup synth.\n"
    )
    body = yaml.safe_dump(synthetic_register(area), sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")
    return path
