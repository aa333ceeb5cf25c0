"""A small governance register for the direct-care tests: a practice, an acute trust with a
hospital team, a council with a social care team, a community trust, and one user per role."""

import datetime as dt

import yaml

from joinedup.governance.register import load_register

START = dt.date(2013, 1, 1)
ORGS = [
    ("P81001", "Practice one", "gp_practice", ["gp_register", "gp_conditions", "gp_medications", "gp_appointments", "objections"]),
    ("P81002", "Practice two", "gp_practice", ["gp_register", "gp_conditions", "gp_medications", "gp_appointments"]),
    ("RZA", "Acute trust", "acute_trust", ["acute_apc", "acute_ae", "delayed_transfers"]),
    ("RZC", "Community trust", "community_trust", ["community_contacts"]),
    ("RZM", "Mental health trust", "mental_health_trust", ["mental_health_contacts"]),
    ("RZU", "Ambulance", "ambulance", ["urgent_care_contacts"]),
    ("E06000033", "Council", "council", ["social_care_events", "deaths", "eol_register"]),
    ("0DE", "CSU", "csu", []),
]  # fmt: skip
TEAMS = [("PT-P81001", "P81001", "practice"), ("PT-P81002", "P81002", "practice"),
         ("HT-DISCHARGE", "RZA", "hospital_team"), ("CT-DN", "RZC", "community_team"),
         ("SC-ADULTS", "E06000033", "social_care_team")]  # fmt: skip
USERS = [
    ("gp.one", "P81001", ["PT-P81001"], "gp"),
    ("gp.two", "P81002", ["PT-P81002"], "gp"),
    ("nurse", "RZC", ["CT-DN"], "clinician"),
    ("discharge", "RZA", ["HT-DISCHARGE"], "clinician"),
    ("social", "E06000033", ["SC-ADULTS"], "social_worker"),
    ("analyst", "0DE", [], "analyst"),
    ("ig", "0DE", [], "ig_lead"),
    ("linkage", "0DE", [], "linkage_officer"),
    ("left", "RZC", ["CT-DN"], "clinician", dt.date(2015, 12, 31)),
]


def write_register(folder, users=USERS):
    senders = {}
    for code, _, _, feeds in ORGS:
        for feed in feeds:
            senders.setdefault(feed, []).append(code)
    data = {
        "organisations": [{"code": c, "name": n, "kind": k, "feeds": f} for c, n, k, f in ORGS],
        "agreements": [
            {
                "feed": feed,
                "controllers": codes,
                "processor": "0DE",
                "legal_basis": "direct_care",
                "purposes": ["direct_care", "case_finding", "commissioning"],
                "start": START,
            }
            for feed, codes in senders.items()
        ],  # fmt: skip
        "teams": [{"code": c, "organisation": o, "kind": k} for c, o, k in TEAMS],
        "users": [
            {
                "id": u[0],
                "name": u[0],
                "organisation": u[1],
                "teams": u[2],
                "role": u[3],
                "start": START,
                **({"end": u[4]} if len(u) > 4 else {}),
            }
            for u in users
        ],  # fmt: skip
    }
    path = folder / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_register(path)
