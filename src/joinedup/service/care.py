"""Tier I routes (GOVERNANCE.md, issue 11): the worklist, a person's joined-up record after role
separation and objections, break glass, caseload, referrals and MDT meetings, joint care plans,
and the IG lead's review of break-glass uses.

Every person-level route decides the legitimate relationship first (`relationships.relationship`)
and writes its rule into the audit record (`relationship:<rule>`); without one the answer is 403
and the refusal is audited with its rule. Identity from the vault is not served yet (`identity`
is null) until the vault's identity look-up lands.
"""

from __future__ import annotations

import datetime as dt
import json

from fastapi.responses import RedirectResponse, Response

from joinedup.errors import BadInput
from joinedup.governance.relationships import (
    Episode,
    PersonFacts,
    Registration,
    Relationship,
    relationship,
    user_practices,
)
from joinedup.governance.separation import TIER_I_FEEDS, filter_record, sender
from joinedup.service import care_outcomes as outcomes
from joinedup.service.app import Context, Refused, route

API = "/api/v1"
WORKLIST_LIMIT = 500


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _person(ctx: Context) -> str:
    return ctx.request.path_params["pseudonym"]


def _user(ctx: Context):
    return ctx.service.register.users[ctx.principal.user]


# --- facts and the decision ---------------------------------------------------------------------


def person_facts(ctx: Context, person: str) -> PersonFacts:
    con, register = ctx.snap.con, ctx.service.register
    registrations = tuple(
        Registration(practice, start, end)
        for practice, start, end in con.execute(
            "SELECT practice_code, registration_date, deregistration_date FROM gp_register"
            " WHERE pseudo_id = ?",
            [person],
        ).fetchall()
    )
    spells = [
        Episode("hospital_spell", provider, start, end)
        for provider, start, end in con.execute(
            "SELECT provider_code, admission_date, discharge_date FROM acute_apc"
            " WHERE pseudo_id = ?",
            [person],
        ).fetchall()
    ]
    council = sender(register, "social_care_events", {})
    services = [
        Episode("social_care_service", council, start, end)
        for start, end in con.execute(
            "SELECT event_start_date, event_end_date FROM social_care_events"
            " WHERE pseudo_id = ? AND event_type = 'SERVICE'",
            [person],
        ).fetchall()
    ]
    care = ctx.service.care
    return PersonFacts(
        registrations, tuple(spells + services), care.caseload_entries(person),
        care.break_glass_of(person),
    )  # fmt: skip


def decide_person(ctx: Context, person: str, allow_break_glass: bool = True) -> Relationship:
    """The relationship of the signed-in user with `person` today; 403 (audited) without one."""
    found = relationship(
        ctx.service.register, ctx.principal.user, person_facts(ctx, person), today()
    )
    ctx.audit_rule, ctx.people = found.audit_rule, [person]
    if not found.allowed or (found.marked and not allow_break_glass):
        raise Refused(403, "no_relationship",
                      "You have no legitimate relationship with this person. In an emergency,"
                      f" break the glass: /persons/{person}/break-glass")  # fmt: skip
    return found


# --- the worklist -------------------------------------------------------------------------------


def both(method: str, path: str, name: str, rule: str, params=(), nav=None, page=None):
    """A route at /api/v1`path` (JSON) and at `path` (a page: `page` names its template for a GET,
    or its redirect for a POST) from one function returning the payload."""

    def register(build):
        def api(ctx: Context) -> Response:
            return ctx.json(build(ctx))

        def html(ctx: Context) -> Response:
            payload = build(ctx)
            if method == "POST":
                target = page(payload) if callable(page) else page
                return RedirectResponse(target, status_code=303)
            return ctx.page(page, data=payload)

        route(method, API + path, name, rule, "api", params)(api)
        route(method, path, name, rule, "page", params, nav)(html)
        return build

    return register


@both("GET", "/worklist", "My worklist", "tier_i", ("tier", "sort"), "My worklist", "worklist.html")
def worklist(ctx: Context) -> dict:
    register, user = ctx.service.register, _user(ctx)
    practices = sorted(user_practices(register, user))
    caseload = ctx.service.care.caseload_people(user.teams)
    planned = ctx.service.care.people_with_plan(today())
    sort = ctx.query.get("sort", "emergency_admission")
    if sort not in ("emergency_admission", "permanent_care", "high_cost"):
        raise BadInput("sort: one of emergency_admission, permanent_care, high_cost")
    where, params = [], []
    if practices:
        where.append(f"practice_code IN ({','.join('?' * len(practices))})")
        params += practices
    if caseload:
        where.append(f"pseudo_id IN ({','.join('?' * len(caseload))})")
        params += caseload
    rows = []
    if where:
        tier = ctx.query.get("tier")
        rows = ctx.snap.con.execute(
            "SELECT pseudo_id, practice_code, tier, emergency_admission, permanent_care, high_cost"
            " FROM risk_scores WHERE index_date = (SELECT max(index_date) FROM risk_scores)"
            f" AND ({' OR '.join(where)})"
            + (" AND tier = ?" if tier else "")
            + f" ORDER BY {sort} DESC LIMIT {WORKLIST_LIMIT}",
            params + ([tier] if tier else []),
        ).fetchall()
    keys = ("pseudonym", "practice", "tier", "emergency_admission", "permanent_care", "high_cost")
    out = [
        {**dict(zip(keys, r, strict=True)), "on_caseload": r[0] in caseload,
         "on_care_plan": r[0] in planned, "identity": None}
        for r in rows
    ]  # fmt: skip
    ctx.count, ctx.audit_rule = len(out), "relationship:worklist(registration,caseload)"
    return {"rows": out, "practices": practices, "teams": list(user.teams),
            "mdt_teams": sorted(register.teams)}  # fmt: skip


# --- the person ---------------------------------------------------------------------------------


def _rows(ctx: Context, person: str) -> dict[str, list[dict]]:
    out = {}
    for feed in TIER_I_FEEDS:
        cursor = ctx.snap.con.execute(f"SELECT * FROM {feed} WHERE pseudo_id = ?", [person])
        names = [d[0] for d in cursor.description]
        out[feed] = [
            {n: _plain(v) for n, v in zip(names, r, strict=True)} for r in cursor.fetchall()
        ]
    return out


def _direct_objection(ctx: Context, person: str) -> bool:
    return bool(
        ctx.snap.con.execute(
            "SELECT count(*) FROM objections WHERE pseudo_id = ? AND objection_type = 'DIRECT'"
            " AND recorded_date <= ? AND (withdrawn_date IS NULL OR withdrawn_date > ?)",
            [person, today(), today()],
        ).fetchone()[0]
    )


def _risk(ctx: Context, person: str) -> dict | None:
    found = ctx.snap.con.execute(
        "SELECT index_date, tier, emergency_admission, permanent_care, high_cost FROM risk_scores"
        " WHERE pseudo_id = ? ORDER BY index_date DESC LIMIT 1",
        [person],
    ).fetchall()
    keys = ("index_date", "tier", "emergency_admission", "permanent_care", "high_cost")
    return {k: _plain(v) for k, v in zip(keys, found[0], strict=True)} if found else None


def _to_person(payload: dict) -> str:
    return f"/persons/{payload['pseudonym']}/record"


@both("GET", "/persons/{pseudonym}/record", "A person's record", "tier_i", page="record.html")
def record(ctx: Context) -> dict:
    person = _person(ctx)
    found = decide_person(ctx, person)
    p = ctx.principal
    shown = filter_record(
        ctx.service.register, p.role, p.organisation, _rows(ctx, person),
        _direct_objection(ctx, person),
    )  # fmt: skip
    plans = ctx.service.care.care_plans(person)
    return {
        "pseudonym": person,
        "identity": None,
        "relationship": found.rule,
        "break_glass": found.marked,
        "objected": shown.objected,
        "notice": shown.notice,
        "rows": shown.rows,
        "risk": _risk(ctx, person),
        "care_plan": plans[-1] if plans else None,
        "mdt": ctx.service.care.mdt_history(person),
    }  # fmt: skip


@route("GET", "/persons/{pseudonym}/break-glass", "Break glass", "tier_i")
def break_glass_form(ctx: Context) -> Response:
    return ctx.page("break_glass.html", pseudonym=_person(ctx))


@both(
    "POST",
    "/persons/{pseudonym}/break-glass",
    "Break glass",
    "tier_i",
    page=lambda p: p["record"][len(API) :],
)
def break_glass(ctx: Context) -> dict:
    person = _person(ctx)
    reason = ctx.form.get("reason", "")
    if not reason.strip():
        raise BadInput("reason: required to break the glass")
    ctx.service.care.break_glass(person, ctx.principal.user, reason, today())
    found = decide_person(ctx, person)
    return {"pseudonym": person, "opened": found.allowed, "relationship": found.rule,
            "record": f"{API}/persons/{person}/record"}  # fmt: skip


# --- caseload, referrals, MDT ------------------------------------------------------------------


def _own_team(ctx: Context, team: str) -> str:
    if team not in _user(ctx).teams:
        raise BadInput("team: not one of your teams")
    return team


@both("POST", "/caseload", "Add to caseload", "tier_i", page="/worklist")
def add_to_caseload(ctx: Context) -> dict:
    person, team = ctx.form.get("pseudonym", ""), _own_team(ctx, ctx.form.get("team", ""))
    referred = any(r["pseudonym"] == person for r in ctx.service.care.referrals(team))
    if not referred:
        decide_person(ctx, person, allow_break_glass=False)
    else:
        ctx.audit_rule, ctx.people = "relationship:referral", [person]
    entry = ctx.service.care.add_to_caseload(
        person, team, ctx.principal.user, ctx.form.get("reason", ""), today()
    )
    return {"entry": entry, "team": team, "pseudonym": person}


@route("POST", API + "/caseload/{entry_id}/close", "Close a caseload entry", "tier_i", kind="api")
def close_caseload(ctx: Context) -> Response:
    entry = _int(ctx.request.path_params["entry_id"], "entry")
    closed = ctx.service.care.close_caseload(entry, ctx.principal.user, today(), _user(ctx).teams)
    if not closed:
        raise Refused(404, "not_found", "No open caseload entry of your teams with this number.")
    return ctx.json({"entry": entry, "closed": today().isoformat()})


@both("POST", "/mdt/referrals", "Refer to an MDT", "tier_i", page="/worklist")
def refer(ctx: Context) -> dict:
    person, team = ctx.form.get("pseudonym", ""), ctx.form.get("team", "")
    if team not in ctx.service.register.teams:
        raise BadInput("team: no team with this code in the register")
    decide_person(ctx, person, allow_break_glass=False)
    referral = ctx.service.care.refer(person, team, ctx.principal.user, ctx.form.get("reason", ""))
    return {"referral": referral, "team": team, "pseudonym": person}


@route("POST", API + "/mdt/meetings", "New MDT meeting", "tier_i", kind="api")
def new_meeting(ctx: Context) -> Response:
    team = _own_team(ctx, ctx.form.get("team", ""))
    try:
        day = dt.date.fromisoformat(ctx.form.get("day", ""))
    except ValueError:
        raise BadInput("day: expected a date (YYYY-MM-DD)") from None
    members = [m.strip() for m in ctx.form.get("members", "").split(",") if m.strip()]
    unknown = [m for m in members if m not in ctx.service.register.users]
    if unknown:
        raise BadInput("members: every member must be a user of the register")
    meeting = ctx.service.care.new_meeting(
        team, day, ctx.principal.user, members + [ctx.principal.user]
    )
    return ctx.json({"meeting": ctx.service.care.meeting(meeting)})


def _meeting(ctx: Context) -> dict:
    found = ctx.service.care.meeting(_int(ctx.request.path_params["meeting_id"], "meeting"))
    user = ctx.principal.user
    if found is None or (found["team"] not in _user(ctx).teams and user not in found["members"]):
        raise Refused(404, "not_found", "No meeting of your teams with this number.")
    return found


@route("GET", API + "/mdt/meetings/{meeting_id}", "MDT meeting", "tier_i", kind="api")
def meeting(ctx: Context) -> Response:
    found = _meeting(ctx)
    agenda = ctx.service.care.referrals(found["team"])
    ctx.count = len(agenda)
    return ctx.json({"meeting": found, "agenda": agenda})


@route("POST", API + "/mdt/meetings/{meeting_id}/outcomes", "Record an MDT outcome", "tier_i",
       kind="api")  # fmt: skip
def record_outcome(ctx: Context) -> Response:
    found, person = _meeting(ctx), ctx.form.get("pseudonym", "")
    care, team = ctx.service.care, found["team"]
    referred = any(r["pseudonym"] == person for r in care.referrals(team))
    if referred:
        ctx.audit_rule, ctx.people = "relationship:referral", [person]
    else:
        decide_person(ctx, person, allow_break_glass=False)
    lead = ctx.form.get("lead") or None
    if lead and lead not in ctx.service.register.users:
        raise BadInput("lead: the lead professional must be a user of the register")
    try:
        actions = json.loads(ctx.form.get("actions") or "[]")
    except ValueError:
        raise BadInput("actions: expected a JSON list of {action, owner, due}") from None
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise BadInput("actions: expected a JSON list of {action, owner, due}")
    outcome = care.record_outcome(found["id"], person, ctx.form.get("outcome", ""), lead,
                                  ctx.principal.user, actions)  # fmt: skip
    if not any(e.team == team and e.closed is None for e in care.caseload_entries(person)):
        care.add_to_caseload(person, team, ctx.principal.user, "discussed at the MDT", today())
    care.record_contact(person, team, ctx.principal.user, "mdt", today())
    return ctx.json({"outcome": outcome, "pseudonym": person, "team": team})


# --- joint care plans ---------------------------------------------------------------------------


@route(
    "GET", API + "/persons/{pseudonym}/care-plan", "Care plan", "tier_i", kind="api"
)  # on the record page
def care_plan(ctx: Context) -> Response:
    person = _person(ctx)
    found = decide_person(ctx, person)
    versions = ctx.service.care.care_plans(person)
    return ctx.json({"pseudonym": person, "relationship": found.rule, "break_glass": found.marked,
                     "current": versions[-1] if versions else None, "versions": versions})  # fmt: skip


@both("POST", "/persons/{pseudonym}/care-plan", "Save a care plan", "tier_i", page=_to_person)
def save_care_plan(ctx: Context) -> dict:
    person = _person(ctx)
    decide_person(ctx, person, allow_break_glass=False)
    care = ctx.service.care
    version = care.save_care_plan(person, ctx.principal.user, ctx.form)
    for entry in care.caseload_entries(person):
        if entry.team in _user(ctx).teams and entry.closed is None:
            care.record_contact(person, entry.team, ctx.principal.user, "care_plan", today())
    return {"pseudonym": person, "version": version}


# --- the IG lead: break-glass review ----------------------------------------------------------


@route("GET", API + "/audit/break-glass", "Break-glass uses", "audit", kind="api",
       params=("all",))  # fmt: skip
def break_glass_alerts(ctx: Context) -> Response:
    found = ctx.service.care.break_glass_alerts(open_only=ctx.query.get("all") != "yes")
    ctx.count = len(found)
    return ctx.json({"alerts": found})


@route("POST", API + "/audit/break-glass/{alert_id}/review", "Review a break-glass use", "audit",
       kind="api")  # fmt: skip
def review_break_glass(ctx: Context) -> Response:
    alert = _int(ctx.request.path_params["alert_id"], "alert")
    if not ctx.service.care.review_break_glass(alert, ctx.principal.user):
        raise Refused(404, "not_found", "No open break-glass alert with this number.")
    return ctx.json({"alert": alert, "reviewed": True})


def _int(value: str, what: str) -> int:
    if not value.isdigit():
        raise Refused(404, "not_found", f"No {what} with this number.")
    return int(value)


# --- tier A: outcomes for commissioners --------------------------------------------------------


@route("GET", API + "/board/care-plans", "Care plans and MDT outcomes", "tier_a", kind="api")
def care_outcomes(ctx: Context) -> Response:
    care = ctx.service.care
    return ctx.json({
        "coverage": outcomes.coverage(ctx.snap.con, care.people_with_plan(today())),
        "mdt_before_after": outcomes.before_after(ctx.snap.con, care.reviewed_people()),
    })  # fmt: skip
