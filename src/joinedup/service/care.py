"""Tier I routes (GOVERNANCE.md, issue 11): the worklist, a person's joined-up record after role
separation and objections with their identity from the vault, break glass, caseload, referrals,
MDT meetings (agenda, outcomes, actions, the lead professional), joint care plans, and the IG
lead's review of break-glass uses.

Every person-level route decides the legitimate relationship first (`relationships.relationship`)
and writes its rule into the audit record (`relationship:<rule>`); without one the answer is 403
and the refusal is audited with its rule. Pseudonyms are the edges (URLs, the warehouse); the
service store keys its rows by person key (`identity.directory`). Identities (name, NHS number,
date of birth, postcode) are read from the vault per request, shown only where a relationship
holds, and never logged.
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
from joinedup.identity.directory import Directory, VaultBusy
from joinedup.service import care_outcomes as outcomes
from joinedup.service import care_records
from joinedup.service.app import Context, Refused, route

API = "/api/v1"
WORKLIST_LIMIT = 500
AGENDA_FROM_WORKLIST = 10  # people the worklist adds to an MDT agenda
# The stored scores with each person's pseudonym (the directory and the pages speak pseudonyms).
SCORED = "risk_scores JOIN pseudonyms USING (pseudo_id)"
SCORES = ("emergency_admission", "permanent_care", "high_cost")
VAULT_BUSY = "The identity vault is being updated (a load is running): identities are not shown; try again in a minute."


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _person(ctx: Context) -> str:
    return ctx.request.path_params["pseudonym"]


def _user(ctx: Context):
    return ctx.service.register.users[ctx.principal.user]


def _directory(ctx: Context) -> Directory:
    directory = ctx.service.care.directory
    if directory is None:
        raise Refused(503, "no_vault", "Tier I needs the identity vault: serve with --vault.")
    ctx.service.care.follow_merges()
    return directory


def _key(ctx: Context, person: str) -> int:
    key = _directory(ctx).person_key(person)
    if key is None:
        ctx.people = [person]
        raise Refused(404, "not_found", "No person with this pseudonym.")
    return key


# --- facts and the decision ---------------------------------------------------------------------


def _day(value) -> dt.date | None:
    """A date of a row as JSON gives it (a date or a timestamp's first ten characters)."""
    return dt.date.fromisoformat(value[:10]) if value else None


def facts_of(ctx: Context, people: dict[str, int]) -> dict[str, PersonFacts]:
    """The facts of each person (pseudonym -> person key) the relationship rule needs."""
    council = sender(ctx.service.register, "social_care_events", {})
    care, keys = ctx.service.care, list(people.values())
    caseload, glass = care.caseload_entries_of(keys), care.break_glass_of(keys)
    out = {}
    found = care_records.rows_of(ctx.snap, list(people), care_records.FACT_TABLES)
    for p, tables in found.items():
        registrations = tuple(
            Registration(r["practice_code"], _day(r["registration_date"]),
                         _day(r["deregistration_date"]))
            for r in tables.get("gp_register", ())
        )  # fmt: skip
        spells = [Episode("hospital_spell", r["provider_code"], _day(r["admission_date"]),
                          _day(r["discharge_date"])) for r in tables.get("acute_apc", ())]  # fmt: skip
        services = [Episode("social_care_service", council, _day(r["event_start_date"]),
                            _day(r["event_end_date"]))
                    for r in tables.get("social_care_events", ()) if r["event_type"] == "SERVICE"]  # fmt: skip
        key = people[p]
        out[p] = PersonFacts(registrations, tuple(spells + services), caseload.get(key, ()),
                             glass.get(key, ()))  # fmt: skip
    return out


def relationships_of(ctx: Context, people: dict[str, int]) -> dict[str, Relationship]:
    register, user, day = ctx.service.register, ctx.principal.user, today()
    return {p: relationship(register, user, f, day) for p, f in facts_of(ctx, people).items()}


def decide_person(
    ctx: Context, person: str, allow_break_glass: bool = True
) -> tuple[Relationship, int]:
    """The relationship of the signed-in user with `person` today, and the person's key; 403
    (audited with the rule) without one."""
    key = _key(ctx, person)
    found = relationships_of(ctx, {person: key})[person]
    ctx.audit_rule, ctx.people = found.audit_rule, [person]
    if not found.allowed or (found.marked and not allow_break_glass):
        raise Refused(403, "no_relationship",
                      "You have no legitimate relationship with this person. In an emergency,"
                      f" break the glass: /persons/{person}/break-glass")  # fmt: skip
    return found, key


def _referred_or_related(ctx: Context, person: str, team: str) -> int:
    """A person referred to `team` may be taken on or discussed by its members (the rule
    `relationship:referral`); anyone else needs a relationship (not break glass)."""
    key = _key(ctx, person)
    if ctx.service.care.referred(key, team):
        ctx.audit_rule, ctx.people = "relationship:referral", [person]
        return key
    return decide_person(ctx, person, allow_break_glass=False)[1]


def identities(ctx: Context, keys: list[int]) -> tuple[dict[int, dict], str | None]:
    """Identities of these person keys from the vault now ({} and a notice while it is busy)."""
    try:
        found = _directory(ctx).identities(keys)
    except VaultBusy:
        return {}, VAULT_BUSY
    return {k: i.as_dict() for k, i in found.items()}, None


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


def _risk_columns(ctx: Context) -> set[str]:
    """The risk_scores table's columns (none without scores; older tables lack the reasons)."""

    def build(con) -> set[str]:
        found = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'store'"
            " AND table_name = 'risk_scores'"
        ).fetchall()
        return {c for (c,) in found}

    return ctx.snap.cached("risk_scores_columns", build)


def _open_episode_people(ctx: Context, teams) -> list[str]:
    """People with an open episode of a hospital or social care team's own organisation."""
    con, register, out = ctx.snap.con, ctx.service.register, []
    for team in teams:
        if team.kind == "hospital_team":
            out += [p for (p,) in con.execute(
                "SELECT DISTINCT pseudonym FROM acute_apc JOIN pseudonyms USING (pseudo_id)"
                " WHERE provider_code = ?"
                " AND discharge_date IS NULL", [team.organisation]).fetchall()]  # fmt: skip
        elif team.kind == "social_care_team" and team.organisation == sender(
            register, "social_care_events", {}
        ):
            out += [p for (p,) in con.execute(
                "SELECT DISTINCT pseudonym FROM social_care_events JOIN pseudonyms USING (pseudo_id)"
                " WHERE event_type = 'SERVICE'"
                " AND event_end_date IS NULL").fetchall()]  # fmt: skip
    return out


def _choice(ctx: Context, name: str, allowed: tuple[str, ...], default: str | None = None):
    value = ctx.query.get(name) or default
    if value is not None and value not in allowed:
        raise BadInput(f"{name}: one of {', '.join(allowed)}")
    return value


def _index_date(ctx: Context) -> tuple[str, list]:
    """The scoring the worklist reads: the latest, or the `index_date` asked for (the list as
    it stood then: e.g. an MDT choosing its people on scores that do not see the months after)."""
    asked = ctx.query.get("index_date")
    if not asked:
        return "(SELECT max(index_date) FROM risk_scores)", []
    try:
        return "?", [dt.date.fromisoformat(asked)]
    except ValueError:
        raise BadInput("index_date: expected a date (YYYY-MM-DD)") from None


@both("GET", "/worklist", "My worklist", "tier_i",
      ("sort", "tier", "flagged", "plan", "index_date"), "My worklist", "worklist.html")  # fmt: skip
def worklist(ctx: Context) -> dict:
    """The case-finding list of the user's practices, teams' caseloads and open episodes: the
    three scores (of the latest scoring, or of `index_date`), the top reasons, the Southend
    rule's flag, already on a care plan; identity only where a relationship holds."""
    register, user, care = ctx.service.register, _user(ctx), ctx.service.care
    directory = _directory(ctx)
    practices = sorted(user_practices(register, user))
    teams = [register.teams[t] for t in user.teams if t in register.teams]
    caseload = set(directory.pseudonyms(care.caseload_people(user.teams)).values())
    listed = caseload | set(_open_episode_people(ctx, teams))
    planned_keys = care.people_with_plan(today())
    planned = set(directory.pseudonyms(list(planned_keys)).values())
    sort = _choice(ctx, "sort", SCORES, "emergency_admission")
    tier = _choice(ctx, "tier", ("very_high", "high", "moderate", "low"))
    flagged = _choice(ctx, "flagged", ("yes", "no"))
    plan = _choice(ctx, "plan", ("yes", "no"))
    columns = _risk_columns(ctx)
    rows = []
    if columns and (practices or listed):
        extra = [c for c in ("reasons", "rule_flagged") if c in columns]
        where = ["practice_code IN (SELECT unnest(?))", "pseudonym IN (SELECT unnest(?))"]
        index, params = _index_date(ctx)
        sql = (f"SELECT pseudonym, practice_code, tier, {', '.join(SCORES + tuple(extra))}"
               f" FROM {SCORED} WHERE index_date = {index} AND ({' OR '.join(where)})")  # fmt: skip
        params += [practices, sorted(listed)]
        if tier:
            sql, params = sql + " AND tier = ?", [*params, tier]
        if flagged and "rule_flagged" in columns:
            sql += " AND rule_flagged" if flagged == "yes" else " AND NOT rule_flagged"
        if plan:
            sql += f" AND {'' if plan == 'yes' else 'NOT '}pseudonym IN (SELECT unnest(?))"
            params.append(sorted(planned))
        names = ("pseudonym", "practice", "tier", *SCORES, *extra)
        found = ctx.snap.con.execute(
            sql + f" ORDER BY {sort} DESC, pseudonym LIMIT {WORKLIST_LIMIT}", params
        ).fetchall()
        rows = [dict(zip(names, r, strict=True)) for r in found]
    keys = directory.person_keys([r["pseudonym"] for r in rows])
    related = relationships_of(ctx, keys)
    shown = [keys[p] for p, r in related.items() if r.allowed and not r.marked]
    known, notice = identities(ctx, shown)
    for r in rows:
        found = related.get(r["pseudonym"])
        key = keys.get(r["pseudonym"])
        r.setdefault("reasons", None)
        r.setdefault("rule_flagged", None)
        r.update(on_caseload=r["pseudonym"] in caseload, on_care_plan=r["pseudonym"] in planned,
                 relationship=found.rule if found and found.allowed and not found.marked else None,
                 identity=known.get(key))  # fmt: skip
    ctx.count, ctx.audit_rule = len(rows), "relationship:worklist(registration,caseload,episode)"
    return {"rows": rows, "practices": practices, "teams": list(user.teams),
            "mdt_teams": sorted(register.teams), "sort": sort, "filters":
            {"tier": tier, "flagged": flagged, "plan": plan}, "notice": notice,
            "scores": bool(columns)}  # fmt: skip


# --- the person ---------------------------------------------------------------------------------


def _rows(ctx: Context, person: str) -> dict[str, list[dict]]:
    """The person's rows of each tier I feed the warehouse has, and of `risk_scores` and
    `objections` (one document look-up once the snapshot's are built: care_records.py)."""
    return care_records.rows_of(ctx.snap, [person])[person]


def _direct_objection(rows: dict[str, list[dict]]) -> bool:
    day = today()
    return any(
        r["objection_type"] == "DIRECT" and _day(r["recorded_date"]) <= day
        and (r["withdrawn_date"] is None or _day(r["withdrawn_date"]) > day)
        for r in rows.get("objections", ())
    )  # fmt: skip


def _risk(ctx: Context, rows: dict[str, list[dict]]) -> dict | None:
    columns, found = _risk_columns(ctx), rows.get("risk_scores")
    if not columns or not found:
        return None
    names = ("index_date", "tier", *SCORES,
             *(c for c in ("reasons", "rule_flagged") if c in columns))  # fmt: skip
    latest = max(found, key=lambda r: r["index_date"])
    return {k: latest[k] for k in names}


def _to_person(payload: dict) -> str:
    return f"/persons/{payload['pseudonym']}/record"


@both("GET", "/persons/{pseudonym}/record", "A person's record", "tier_i", page="record.html")
def record(ctx: Context) -> dict:
    person = _person(ctx)
    found, key = decide_person(ctx, person)
    p, care = ctx.principal, ctx.service.care
    rows = _rows(ctx, person)
    feeds = {f: rows[f] for f in TIER_I_FEEDS if f in rows}
    shown = filter_record(
        ctx.service.register, p.role, p.organisation, feeds, _direct_objection(rows)
    )
    plans = care.care_plans(key)
    known, notice = identities(ctx, [key])
    return {
        "pseudonym": person,
        "identity": known.get(key),
        "identity_notice": notice,
        "relationship": found.rule,
        "break_glass": found.marked,
        "objected": shown.objected,
        "notice": shown.notice,
        "rows": shown.rows,
        "risk": _risk(ctx, rows),
        "care_plan": plans[-1] if plans else None,
        "care_plan_versions": len(plans),
        "mdt": care.mdt_history(key),
        "teams": list(_user(ctx).teams),
        "mdt_teams": sorted(ctx.service.register.teams),
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
    key = _key(ctx, person)
    reason = ctx.form.get("reason", "")
    if not reason.strip():
        raise BadInput("reason: required to break the glass")
    ctx.service.care.break_glass(key, ctx.principal.user, reason, today())
    found, _ = decide_person(ctx, person)
    return {"pseudonym": person, "opened": found.allowed, "relationship": found.rule,
            "record": f"{API}/persons/{person}/record"}  # fmt: skip


# --- caseload, referrals --------------------------------------------------------------------


def _own_team(ctx: Context, team: str) -> str:
    if team not in _user(ctx).teams:
        raise BadInput("team: not one of your teams")
    return team


@both("POST", "/caseload", "Add to caseload", "tier_i", page="/worklist")
def add_to_caseload(ctx: Context) -> dict:
    person, team = ctx.form.get("pseudonym", ""), _own_team(ctx, ctx.form.get("team", ""))
    key = _referred_or_related(ctx, person, team)
    entry = ctx.service.care.add_to_caseload(
        key, team, ctx.principal.user, ctx.form.get("reason", ""), today()
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
    _, key = decide_person(ctx, person, allow_break_glass=False)
    referral = ctx.service.care.refer(key, team, ctx.principal.user, ctx.form.get("reason", ""))
    return {"referral": referral, "team": team, "pseudonym": person}


# --- MDT meetings ----------------------------------------------------------------------------


@both("GET", "/mdt", "MDT meetings", "tier_i", nav="MDT", page="mdt.html")
def meetings(ctx: Context) -> dict:
    user, register = _user(ctx), ctx.service.register
    found = ctx.service.care.meetings(user.teams, user.id)
    colleagues = sorted(u.id for u in register.users.values()
                        if u.id != user.id and set(u.teams) & set(user.teams))  # fmt: skip
    ctx.count = len(found)
    return {"meetings": found, "teams": list(user.teams), "colleagues": colleagues,
            "today": today().isoformat()}  # fmt: skip


@both("POST", "/mdt/meetings", "New MDT meeting", "tier_i",
      page=lambda p: f"/mdt/meetings/{p['meeting']['id']}")  # fmt: skip
def new_meeting(ctx: Context) -> dict:
    team = _own_team(ctx, ctx.form.get("team", ""))
    try:
        day = dt.date.fromisoformat(ctx.form.get("day", ""))
    except ValueError:
        raise BadInput("day: expected a date (YYYY-MM-DD)") from None
    members = [m.strip() for m in ctx.form.get("members", "").split(",") if m.strip()]
    members += [v for k, v in ctx.form.items() if k.startswith("member_")]
    unknown = [m for m in members if m not in ctx.service.register.users]
    if unknown:
        raise BadInput("members: every member must be a user of the register")
    meeting = ctx.service.care.new_meeting(
        team, day, ctx.principal.user, members + [ctx.principal.user]
    )
    return {"meeting": ctx.service.care.meeting(meeting)}


def _meeting(ctx: Context) -> dict:
    found = ctx.service.care.meeting(_int(ctx.request.path_params["meeting_id"], "meeting"))
    user = ctx.principal.user
    if found is None or (found["team"] not in _user(ctx).teams and user not in found["members"]):
        raise Refused(404, "not_found", "No meeting of your teams with this number.")
    return found


def _worklist_candidates(ctx: Context, team: str, exclude: set[int]) -> list[dict]:
    """From the worklist, for the team's agenda: the Southend rule's people and the very high
    tier of the team's practice and caseload, not on a care plan, not yet discussed."""
    columns = _risk_columns(ctx)
    if not columns:
        return []
    care, register, directory = ctx.service.care, ctx.service.register, _directory(ctx)
    organisation = register.teams[team].organisation
    practice = organisation if register.organisations[organisation].kind == "gp_practice" else ""
    caseload = directory.pseudonyms(care.caseload_people((team,)))
    skip = set(directory.pseudonyms(list(exclude | care.people_with_plan(today()))).values())
    skip |= set(directory.pseudonyms([k for k, _ in care.reviewed_people()]).values())
    flag = "rule_flagged OR " if "rule_flagged" in columns else ""
    found = ctx.snap.con.execute(
        f"SELECT pseudonym, emergency_admission FROM {SCORED} WHERE index_date ="
        " (SELECT max(index_date) FROM risk_scores) AND (practice_code = ? OR pseudonym IN"
        f" (SELECT unnest(?))) AND ({flag}tier = 'very_high') AND NOT pseudonym IN"
        " (SELECT unnest(?)) ORDER BY emergency_admission DESC, pseudonym LIMIT ?",
        [practice, sorted(caseload.values()), sorted(skip), AGENDA_FROM_WORKLIST],
    ).fetchall()
    return [{"pseudonym": p, "source": "worklist", "reason": f"risk {score:.2f}"}
            for p, score in found]  # fmt: skip


def _agenda(ctx: Context, found: dict) -> list[dict]:
    care, directory = ctx.service.care, _directory(ctx)
    referrals = care.referrals(found["team"])
    names = directory.pseudonyms([r["person_key"] for r in referrals])
    items = [{"pseudonym": names[r["person_key"]], "source": "referral", "reason": r["reason"],
              "by": r["by"], "person_key": r["person_key"]}
             for r in referrals if r["person_key"] in names]  # fmt: skip
    referred = {r["person_key"] for r in referrals}
    listed = _worklist_candidates(ctx, found["team"], referred)
    keys = directory.person_keys([i["pseudonym"] for i in listed])
    items += [{**i, "by": None, "person_key": keys[i["pseudonym"]]} for i in listed
              if i["pseudonym"] in keys]  # fmt: skip
    # GOVERNANCE.md: a referral is a way onto the caseload, not a relationship: a referred
    # person's identity shows once a team member has accepted them (or another cause holds)
    related = relationships_of(ctx, {i["pseudonym"]: i["person_key"] for i in items})
    shown = [i["person_key"] for i in items
             if related[i["pseudonym"]].allowed and not related[i["pseudonym"]].marked]  # fmt: skip
    known, _ = identities(ctx, shown)
    for i in items:
        i["identity"] = known.get(i.pop("person_key"))
    return items


@both("GET", "/mdt/meetings/{meeting_id}", "MDT meeting", "tier_i", page="meeting.html")
def meeting(ctx: Context) -> dict:
    found = _meeting(ctx)
    care, directory = ctx.service.care, _directory(ctx)
    agenda = _agenda(ctx, found)
    recorded = care.outcomes_of(found["id"])
    names = directory.pseudonyms([o["person_key"] for o in recorded])
    for o in recorded:
        o["pseudonym"] = names.get(o.pop("person_key"))
    members = found["members"]
    ctx.count = len(agenda)
    ctx.audit_rule = "relationship:mdt(referral,registration,caseload,episode)"
    return {"meeting": found, "agenda": agenda, "outcomes": recorded, "members": members}


def _actions(ctx: Context) -> list[dict]:
    """Actions as JSON (`actions`) or one from the page's fields (action, owner, due)."""
    if ctx.form.get("action"):
        return [{k: ctx.form.get(k) for k in ("action", "owner", "due")}]
    try:
        actions = json.loads(ctx.form.get("actions") or "[]")
    except ValueError:
        raise BadInput("actions: expected a JSON list of {action, owner, due}") from None
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise BadInput("actions: expected a JSON list of {action, owner, due}")
    return actions


@both("POST", "/mdt/meetings/{meeting_id}/outcomes", "Record an MDT outcome", "tier_i",
      page=lambda p: f"/mdt/meetings/{p['meeting']}")  # fmt: skip
def record_outcome(ctx: Context) -> dict:
    found, person = _meeting(ctx), ctx.form.get("pseudonym", "")
    care, team = ctx.service.care, found["team"]
    key = _referred_or_related(ctx, person, team)
    lead = ctx.form.get("lead") or None
    if lead and lead not in ctx.service.register.users:
        raise BadInput("lead: the lead professional must be a user of the register")
    outcome = care.record_outcome(found["id"], key, ctx.form.get("outcome", ""), lead,
                                  ctx.principal.user, _actions(ctx))  # fmt: skip
    if not any(e.team == team and e.closed is None for e in care.caseload_entries(key)):
        care.add_to_caseload(key, team, ctx.principal.user, "discussed at the MDT", today())
    care.record_contact(key, team, ctx.principal.user, "mdt", today())
    return {"outcome": outcome, "pseudonym": person, "team": team, "meeting": found["id"]}


# --- joint care plans ---------------------------------------------------------------------------


@route(
    "GET", API + "/persons/{pseudonym}/care-plan", "Care plan", "tier_i", kind="api"
)  # on the record page
def care_plan(ctx: Context) -> Response:
    person = _person(ctx)
    found, key = decide_person(ctx, person)
    versions = ctx.service.care.care_plans(key)
    return ctx.json({"pseudonym": person, "relationship": found.rule, "break_glass": found.marked,
                     "current": versions[-1] if versions else None, "versions": versions})  # fmt: skip


@both("POST", "/persons/{pseudonym}/care-plan", "Save a care plan", "tier_i", page=_to_person)
def save_care_plan(ctx: Context) -> dict:
    person = _person(ctx)
    _, key = decide_person(ctx, person, allow_break_glass=False)
    care = ctx.service.care
    if ctx.form.get("lead_professional", "").strip() not in ctx.service.register.users:
        raise BadInput("lead_professional: the accountable lead must be a user of the register")
    version = care.save_care_plan(key, ctx.principal.user, ctx.form)
    for entry in care.caseload_entries(key):
        if entry.team in _user(ctx).teams and entry.closed is None:
            care.record_contact(key, entry.team, ctx.principal.user, "care_plan", today())
    return {"pseudonym": person, "version": version}


# --- the IG lead: break-glass review ----------------------------------------------------------


@route("GET", API + "/audit/break-glass", "Break-glass uses", "audit", kind="api",
       params=("all",))  # fmt: skip
def break_glass_alerts(ctx: Context) -> Response:
    found = ctx.service.care.break_glass_alerts(open_only=ctx.query.get("all") != "yes")
    ctx.count = len(found)
    return ctx.json({"alerts": found})


@both("POST", "/audit/break-glass/{alert_id}/review", "Review a break-glass use", "audit",
      page="/audit/alerts")  # fmt: skip
def review_break_glass(ctx: Context) -> dict:
    alert = _int(ctx.request.path_params["alert_id"], "alert")
    if not ctx.service.care.review_break_glass(alert, ctx.principal.user):
        raise Refused(404, "not_found", "No open break-glass alert with this number.")
    return {"alert": alert, "reviewed": True}


def shared_identity_alerts(service, records: list[dict]) -> list[dict]:
    """GOVERNANCE.md: a user viewing a person who shares their family name or postcode (the
    register's optional `family_name`, `postcode` of the user), compared inside the vault; the
    alert shows only the fact and the audit record, never the identity."""
    directory, users = service.care.directory, service.register.users
    seen: dict[str, list[dict]] = {}
    for r in records:
        user = users.get(r.get("user") or "")
        if (r.get("tier") == "I" and r.get("decision") == "allow" and r.get("people")
                and user is not None and (user.family_name or user.postcode)):  # fmt: skip
            seen.setdefault(user.id, []).append(r)
    if directory is None or not seen:
        return []
    out = []
    for user_id, viewed in sorted(seen.items()):
        user = users[user_id]
        keys = directory.person_keys(sorted({p for r in viewed for p in r["people"]}))
        try:
            hits = directory.sharing(list(keys.values()), user.family_name, user.postcode)
        except VaultBusy:
            continue  # computed again on the next look, once the load has finished
        shared = {p for p, k in keys.items() if k in hits}
        out += [{"kind": "shares_name_or_postcode", "user": user_id, "day": r["time"][:10],
                 "detail": f"viewed record {p[:12]}… of a person who shares their family name"
                           f" or postcode (audit record {r['time']})"}
                for r in viewed for p in r["people"] if p in shared]  # fmt: skip
    return out


def _int(value: str, what: str) -> int:
    if not value.isdigit():
        raise Refused(404, "not_found", f"No {what} with this number.")
    return int(value)


# --- tier A: outcomes for commissioners --------------------------------------------------------


@route("GET", API + "/board/care-plans", "Care plans and MDT outcomes", "tier_a", kind="api")
def care_outcomes(ctx: Context) -> Response:
    care, names = ctx.service.care, _directory(ctx).pseudonyms
    planned = set(names(list(care.people_with_plan(today()))).values())
    reviewed = care.reviewed_people()
    known = names([k for k, _ in reviewed])
    return ctx.json({
        "coverage": outcomes.coverage(ctx.snap.con, planned),
        "mdt_before_after": outcomes.before_after(
            ctx.snap.con, [(known[k], day) for k, day in reviewed if k in known]
        ),
    })  # fmt: skip
