"""The records the IG lead keeps that are generated from the contract and the register
(GOVERNANCE.md): the data-flow register (rows and CSV) and the fair processing notice (plain
English; one HTML body for the service's public `/notice` page and for the printable file).

Everything here is counts-free and identifier-free: it describes feeds, never people."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

from joinedup import contract
from joinedup.governance.register import Register, person_level_feeds

FLOW_COLUMNS = ("feed", "what", "senders", "controllers", "processor", "legal_basis", "reference",
                "purposes", "identifiers", "retention_years", "active")  # fmt: skip
LEGAL_BASIS_WORDS = {
    "s251": "section 251 support (the Confidentiality Advisory Group's approval to use "
    "confidential information without consent)",
    "consent": "the person's consent",
    "direct_care": "direct care (implied consent of the person being cared for)",
    "statutory": "a statutory duty of the council",
}
PURPOSE_WORDS = {
    "direct_care": "caring for you: the professionals who look after you see your joined-up record",
    "case_finding": "finding people who could benefit from extra support before a crisis",
    "commissioning": "planning and paying for health and care services",
    "jsna": "the joint strategic needs assessment: understanding the health and care needs of the area",
    "emergency_planning": "planning for emergencies",
    "evaluation": "evaluating whether new services work",
    "oversight": "information governance oversight: checking who saw what and why",
    "linkage_review": "checking uncertain matches between records (only if switched on)",
    "administration": "running the system",
}
TIER_WORDS = (
    ("Everybody who signs in, and the public reports",
     "only counts and rates about groups of people, with small numbers hidden (1 to 7) and others "
     "rounded to the nearest 5; nobody can be picked out"),
    ("Analysts of the commissioning support unit and the council",
     "records about individual people with no name, NHS number, date of birth or address: a code "
     "instead of who you are, your age band, sex, ward and practice, the month of each event and "
     "its cost; people who have used the national data opt-out are not included"),
    ("The GP, nurse, therapist or social worker who cares for you",
     "your identity and your joined-up record, only while you are registered with their practice or "
     "on their team's caseload; social workers do not see GP records; every look is recorded and "
     "checked by the information governance lead"),
)  # fmt: skip
OBJECTION_WORDS = (
    ("The national data opt-out",
     "stops your records being used for planning and research (they still count in the official "
     "totals). Set it at nhs.uk/your-nhs-data-matters or by calling 0300 303 5678."),
    ("A Type 1 objection",
     "tell your GP practice: your GP records are then never sent to this system."),
    ("An objection to sharing for your care",
     "tell your GP practice or care team: professionals then see only the records their own "
     "organisation holds about you, and the system shows that you have objected."),
    ("The social care opt-out",
     "tell the council's adult social care team: the council's records about you are then not "
     "added (this also applies where someone decided on your behalf because you could not)."),
)  # fmt: skip


def _names(register: Register, codes) -> list[str]:
    return [register.organisations[c].name if c in register.organisations else c for c in codes]


def data_flows(register: Register, day: dt.date | None = None) -> list[dict]:
    """One row per person-level feed of the contract: who sends it, under which agreement(s),
    the identifiers it carries and how long it is kept. A feed with no agreement active on
    `day` says so (it is not landed)."""
    day = day or dt.date.today()
    feeds = contract.feeds()
    rows = []
    for name in person_level_feeds():
        feed = feeds[name]
        active = [a for a in register.agreements if a.feed == name and a.active(day)]
        senders = [o.code for o in register.organisations.values() if name in o.feeds]
        rows.append({
            "feed": name,
            "what": feed.mirrors,
            "senders": _names(register, senders),
            "controllers": _names(register, dict.fromkeys(c for a in active for c in a.controllers)),
            "processor": _names(register, dict.fromkeys(a.processor for a in active)),
            "legal_basis": list(dict.fromkeys(a.legal_basis for a in active)),
            "reference": list(dict.fromkeys(a.reference for a in active if a.reference)),
            "purposes": list(dict.fromkeys(p for a in active for p in a.purposes)),
            "identifiers": [c.name for c in feed.columns if c.identifying],
            "retention_years": register.retention_years.get(name),
            "active": bool(active),
        })  # fmt: skip
    return rows


def data_flows_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FLOW_COLUMNS)
    for row in rows:
        writer.writerow(["; ".join(map(str, v)) if isinstance(v, list) else v
                         for v in (row[c] for c in FLOW_COLUMNS)])  # fmt: skip
    return out.getvalue()


KIND_WORDS = {"gp_practice": "GP practices"}


def _senders_in_words(register: Register, feed: str) -> list[str]:
    """Who sends a feed, with many organisations of one kind (practices) as a count."""
    by_kind: dict[str, list[str]] = {}
    for o in register.organisations.values():
        if feed in o.feeds:
            by_kind.setdefault(o.kind, []).append(o.name)
    words = []
    for kind, names in by_kind.items():
        many = len(names) > 3
        words += (
            [f"{len(names)} {KIND_WORDS.get(kind, kind.replace('_', ' ') + 's')}"]
            if many
            else names
        )
    return words


def notice(register: Register, day: dt.date | None = None) -> dict:
    """The fair processing notice as data: version (the register's hash), date, and sections."""
    day = day or dt.date.today()
    flows = [f for f in data_flows(register, day) if f["active"]]
    purposes = list(dict.fromkeys(p for f in flows for p in f["purposes"]))
    contacts = [
        f"{u.name}, {register.organisations[u.organisation].name}"
        for u in register.users.values()
        if u.role == "ig_lead" and u.active(day)
    ]
    return {
        "version": register.sha256[:12],
        "register_sha256": register.sha256,
        "date": day.isoformat(),
        "collected": [
            {
                "feed": f["feed"],
                "what": f["what"],
                "from": _senders_in_words(register, f["feed"]),
                "controllers": f["controllers"],
                "legal_basis": [LEGAL_BASIS_WORDS[b] for b in f["legal_basis"]],
                "identifiers": f["identifiers"],
                "retention_years": f["retention_years"],
            }
            for f in flows
        ],  # fmt: skip
        "purposes": [{"purpose": p, "words": PURPOSE_WORDS[p]} for p in purposes],
        "tiers": [{"who": who, "sees": sees} for who, sees in TIER_WORDS],
        "quarantine_days": register.quarantine_days,
        "objections": [{"how": how, "words": words} for how, words in OBJECTION_WORDS],
        "contacts": contacts,
    }


def notice_html(data: dict) -> str:
    """The notice's body (no scripts, no links out): the service page and the printable file."""
    e = html.escape
    parts = [
        '<section class="ju-notice">',
        "<h1>How your health and care records are used</h1>",
        f'<p class="ju-notice-version">Version {e(data["version"])}, {e(data["date"])}.</p>',
        "<h2>What we collect, and from whom</h2>",
        "<p>Your GP practice, the hospital, community and mental health services, the ambulance "
        "service and the council's adult social care send us records of the care you receive. "
        "Your name, NHS number, date of birth and postcode are kept apart, in a separate locked "
        "store, and are replaced by a code before anything is analysed.</p>",
        "<table><thead><tr><th>Records</th><th>From</th><th>Responsible (controllers)</th>"
        "<th>Lawful basis</th><th>Kept for</th></tr></thead><tbody>",
    ]
    for f in data["collected"]:
        parts.append(
            f'<tr data-feed="{e(f["feed"])}"><td>{e(f["what"])} (<code>{e(f["feed"])}</code>)</td>'
            f"<td>{e(', '.join(f['from']))}</td><td>{e(', '.join(f['controllers']))}</td>"
            f"<td>{e('; '.join(f['legal_basis']))}</td>"
            f"<td>{f['retention_years']} years after the event</td></tr>"
        )
    parts += ["</tbody></table>", "<h2>Why</h2>", "<ul>"]
    parts += [
        f'<li data-purpose="{e(p["purpose"])}">{e(p["words"])}</li>' for p in data["purposes"]
    ]
    parts += ["</ul>", "<h2>Who can see what</h2>", "<ul>"]
    parts += [f"<li><strong>{e(t['who'])}</strong>: {e(t['sees'])}.</li>" for t in data["tiers"]]
    parts += [
        "</ul>",
        "<h2>How long we keep it</h2>",
        "<p>Each record is destroyed when its period above has passed since the event it records "
        "(an ongoing registration or service is kept while it lasts). Records we could not accept "
        f"are destroyed after {data['quarantine_days']} days. Every destruction is recorded.</p>",
        "<h2>How to object</h2>",
        "<ul>",
    ]
    parts += [
        f"<li><strong>{e(o['how'])}</strong> {e(o['words'])}</li>" for o in data["objections"]
    ]
    contacts = ", ".join(data["contacts"]) or "the information governance lead of your council"
    parts += ["</ul>", "<h2>Whom to contact</h2>",
              f"<p>{e(contacts)}. You may also complain to the Information Commissioner's Office "
              "(ico.org.uk, 0303 123 1113).</p>", "</section>"]  # fmt: skip
    return "\n".join(parts)


PRINT_CSS = (
    "body{font-family:Arial,sans-serif;max-width:50em;margin:2em auto;line-height:1.4}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3em;"
    "text-align:left;vertical-align:top}@media print{body{margin:0}}"
)


def notice_document(data: dict) -> str:
    """The printable file: one self-contained HTML page."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Fair processing notice, version {html.escape(data['version'])}</title>"
        f"<style>{PRINT_CSS}</style></head><body>{notice_html(data)}</body></html>\n"
    )
