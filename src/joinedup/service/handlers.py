"""Every route of the service, each with its rule: pages and their JSON twins under /api/v1.
Importing this module fills `app.ROUTES`; the authorisation test reads that table."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections import defaultdict
from dataclasses import asdict
from urllib.parse import urlencode

from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from joinedup.errors import BadInput, UserError
from joinedup.governance import changes, disclosure, records
from joinedup.governance.access import PURPOSES, ROLES, RULES, purposes_of
from joinedup.governance.alerts import alerts
from joinedup.governance.audit import FIELDS, verify
from joinedup.governance.incidents import overdue
from joinedup.metrics.output import MetricSet
from joinedup.service import board as B
from joinedup.service import people as P
from joinedup.service import review as R
from joinedup.service.app import (
    CONTENT_TYPES,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    STATIC,
    Context,
    Refused,
    links_for,
    new_login_token,
    route,
)

API = "/api/v1"
COHORT_PARAMS = (*P.FILTERS, P.ACTIVITY_FILTER, "page")
COHORT_LABELS = (("year", "Financial year"), ("age_band", "Age band"), ("sex", "Sex"),
                 ("locality", "Locality"), ("ward", "Ward"), ("practice", "Practice"),
                 ("ltc_count", "Long-term conditions"), ("social_care", "Social care status"),
                 ("segment", "Segment"), ("risk_tier", "Risk tier"), ("high_cost", "High-cost cohort"),
                 ("activity", "Activity in the year"))  # fmt: skip
AUDIT_FILTERS = ("user", "role", "purpose", "tier", "person", "date", "decision")
AUDIT_PAGE = 200


def twin(path: str, name: str, rule: str, params=(), nav=None):
    """A page at `path` and its JSON twin at /api/v1`path` from one function returning
    (payload, template, page values)."""

    def register(build):
        def page(ctx: Context) -> Response:
            payload, template, values = build(ctx)
            return ctx.page(template, **values)

        def api(ctx: Context) -> Response:
            return ctx.json(build(ctx)[0])

        route("GET", path, name, rule, "page", params, nav)(page)
        route("GET", API + path, name, rule, "api", params)(api)
        return build

    return register


# --- sign-in ------------------------------------------------------------------------------------


@route("GET", "/login", "Sign in", "public")
def login_form(
    ctx: Context, error: str | None = None, status: int = 200, username: str = ""
) -> Response:
    token = new_login_token()
    response = ctx.page("login.html", status=status, login_csrf=token, purposes=PURPOSES,
                        error=error, username=username)  # fmt: skip
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=ctx.request.url.scheme == "https", path="/login")  # fmt: skip
    return response


def _signed_in_audit(ctx: Context, user, purpose, decision: str, rule: str) -> None:
    ctx.service.audit.append(
        user=user.id if user else None,
        organisation=user.organisation if user else None,
        role=user.role if user else None,
        purpose=purpose or None,
        tier="session",
        action="sign-in",
        resource="/login",
        decision=decision,
        rule=rule,
    )


@route("POST", "/login", "Sign in", "public")
def login(ctx: Context) -> Response:
    form, service = ctx.form, ctx.service
    expected = ctx.request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf_token", ""), expected):
        return login_form(ctx, "The sign-in form expired: try again.", 403)
    username, password, purpose = (
        form.get("username", "").strip(),
        form.get("password", ""),
        form.get("purpose", ""),
    )
    user = service.register.active_user(username, dt.date.today())
    if (
        user is None
    ):  # not named in the register: no failure row under a typed name (it may be a password)
        service.store.check_password("\x00unknown", password)
        _signed_in_audit(ctx, None, purpose, "deny", "unknown_user")
        return login_form(ctx, "The user name or password is not right.", 401)
    outcome = service.store.check_password(user.id, password)
    if outcome != "ok":
        _signed_in_audit(ctx, user, purpose, "deny", f"password_{outcome}")
        if outcome == "wrong":
            return login_form(ctx, "The user name or password is not right.", 401, username)
        message = {"locked": "Too many failed sign-ins: the account is locked for 15 minutes.",
                   "disabled": "This account is disabled."}[outcome]  # fmt: skip
        return login_form(ctx, message, 403, username)
    allowed = purposes_of(user.role)
    if not purpose and len(allowed) == 1:
        purpose = allowed[0]
    if purpose not in allowed:
        _signed_in_audit(ctx, user, purpose, "deny", "purpose")
        return login_form(
            ctx, f"Your role ({user.role}) works for: {', '.join(allowed)}.", 403, username
        )
    session = service.store.open_session(user.id, purpose)
    _signed_in_audit(ctx, user, purpose, "allow", "password")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict",
                        secure=ctx.request.url.scheme == "https", path="/")  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@route("POST", "/logout", "Sign out", "signed_in")
def logout(ctx: Context) -> Response:
    ctx.service.store.close_session(ctx.request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@route("GET", "/static/{path:path}", "Assets", "public", kind="asset")
def static(ctx: Context) -> Response:
    wanted = (STATIC / ctx.request.path_params["path"]).resolve()
    if (
        STATIC.resolve() not in wanted.parents
        or not wanted.is_file()
        or wanted.suffix not in CONTENT_TYPES
    ):
        raise Refused(404, "not_found", "No such asset.")
    return FileResponse(wanted, media_type=CONTENT_TYPES[wanted.suffix])


@route("GET", API + "/openapi.json", "API description", "public", kind="api")
def openapi(ctx: Context) -> Response:
    return JSONResponse(ctx.request.app.openapi())


# --- start page -----------------------------------------------------------------------------------


@route("GET", "/", "Your start page", "signed_in")
def home(ctx: Context) -> Response:
    p = ctx.principal
    late = overdue(ctx.service.incidents, dt.date.today()) if p.role == "ig_lead" else []
    notices = changes.notices(ctx.service.register) if p.role == "ig_lead" else []
    return ctx.page("home.html", links=links_for(p), tiers=", ".join(ROLES[p.role].tiers),
                    purposes=", ".join(purposes_of(p.role)), overdue=late, notices=notices)  # fmt: skip


@route("GET", API + "/session", "The signed-in session", "signed_in", kind="api")
def session_api(ctx: Context) -> Response:
    p = ctx.principal
    return ctx.json({"name": p.name, "organisation": p.organisation, "tiers": list(ROLES[p.role].tiers),
                     "csrf_token": ctx.csrf_token,
                     "links": [{"href": h, "text": t} for h, t in links_for(p)]})  # fmt: skip


# --- board (tier A) ---------------------------------------------------------------------------


def _tiles(ctx: Context) -> list[dict]:
    return [
        {"id": v["id"], "name": v["name"], **P.tile(ctx.snap, v["query"])}
        for v in ctx.service.store.views(published_only=True)
    ]


@twin("/board", "The board at a glance", "tier_a", nav="Board")
def board_page(ctx: Context):
    board = B.board(ctx.snap)
    tiles = _tiles(ctx)
    payload = {
        "months": list(board.months),
        "metrics": [B.panel_json(p) for p in board.panels],
        "tiles": tiles,
    }
    return payload, "board.html", {"board": board, "tiles": tiles}


@twin("/board/metrics/{metric_id}", "Metric", "tier_a")
def metric_page(ctx: Context):
    board = B.board(ctx.snap)
    panel = board.panel(ctx.request.path_params["metric_id"])
    if panel is None:
        raise Refused(404, "not_found", "No such metric.")
    return (
        B.panel_json(panel, with_chart=True),
        "metric.html",
        {"panel": panel, "title": panel.headline.title},
    )


@route("GET", API + "/metrics", "Metrics (metrics.md shape, tier A gate)", "tier_a", kind="api")
def metrics_api(ctx: Context) -> Response:
    board = B.board(ctx.snap)
    return ctx.json(MetricSet(board.plan.area, board.records).to_dict())


@twin("/board/plan", "The plan: schemes and pooled budget", "tier_a")
def plan_page(ctx: Context):
    plan = B.plan_json(B.board(ctx.snap).plan)
    return plan, "plan.html", {"plan": plan}


@twin("/board/spend", "Year of Care spend", "tier_a")
def spend_page(ctx: Context):
    spend = B.spend_json(B.board(ctx.snap).spend)
    return spend, "spend.html", {"spend": spend}


@twin("/board/quality", "Data quality and linkage", "tier_a")
def quality_page(ctx: Context):
    board = B.board(ctx.snap)
    quality = B.quality_json(board.quality, board.linkage)
    return quality, "quality.html", {"quality": quality}


@route("GET", "/board/report", "The board report", "tier_a", kind="asset")
def report_download(ctx: Context) -> Response:
    path = B.report_file(ctx.snap)
    return FileResponse(path, media_type="text/html", filename="board-report.html")


# --- analysts (tier P) ------------------------------------------------------------------------


def _filters(ctx: Context, values: dict[str, str]) -> dict[str, str]:
    return P.parse_filters(values, P.options(ctx.snap))


def _page_number(ctx: Context) -> int:
    try:
        return max(1, int(ctx.query.get("page") or 1))
    except ValueError:
        raise BadInput("query parameter page: expected a whole number") from None


@twin("/cohort", "Cohort builder", "tier_p", params=COHORT_PARAMS, nav="Cohorts")
def cohort_page(ctx: Context):
    filters = _filters(ctx, ctx.query)
    result = P.cohort(ctx.snap, filters, _page_number(ctx))
    ctx.count = len(result["people"])
    by_month: dict[str, dict] = defaultdict(dict)
    for a in result["activity"]:
        by_month[a["month"]][a["org_type"]] = a
    opts = P.options(ctx.snap)
    values = {
        "result": result,
        "options": opts.values,
        "labels": COHORT_LABELS,
        "columns": P.PERSON_COLUMNS,
        "org_types": opts.values[P.ACTIVITY_FILTER],
        "by_month": sorted(by_month.items()),
        "can_save": ctx.principal.role in RULES["views"].roles,
        "query_for": lambda page: urlencode({**filters, "page": page}),
    }
    return result, "cohort.html", values


@twin("/people/{pseudonym}", "A person's timeline", "tier_p")
def person_page(ctx: Context):
    pseudonym = ctx.request.path_params["pseudonym"]
    found = P.person(ctx.snap, pseudonym) if len(pseudonym) <= 128 else None
    if found is None:
        raise Refused(404, "not_found", "No such person in tier P.")
    ctx.people = [pseudonym]
    columns = ("financial_year", *(c for c in P.PERSON_COLUMNS if c not in ("pseudonym",)))
    return found, "person.html", {"person": found, "year_columns": columns}


@twin("/risk", "Risk pyramid", "tier_p", nav="Risk")
def risk_page(ctx: Context):
    pyramid = P.pyramid(ctx.snap)
    return pyramid, "risk.html", {"pyramid": pyramid}


def _export(ctx: Context) -> Response:
    recipient = ctx.form.get("recipient", "").strip()
    fmt = ctx.form.get("format", "csv")
    if not recipient or len(recipient) > 100 or fmt not in ("csv", "parquet"):
        raise BadInput(
            "an export needs a recipient (up to 100 characters) and a format, csv or parquet"
        )
    filters = _filters(ctx, ctx.form)
    data, rows = P.export(ctx.snap, filters, ctx.service.export_secret, recipient,
                          ctx.principal.purpose, fmt)  # fmt: skip
    ctx.count = rows
    ctx.audit_resource = (f"export {fmt} for {recipient}: {urlencode(filters)};"
                          f" columns {','.join(P.PERSON_COLUMNS)}")  # fmt: skip
    media = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
    name = f"cohort-export.{fmt}"
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


route("POST", "/cohort/export", "Export a cohort", "export")(_export)
route("POST", API + "/cohort/export", "Export a cohort", "export", kind="api")(_export)


# --- super-users: views -------------------------------------------------------------------------


def _views(ctx: Context) -> list[dict]:
    return [{**v, "href": urlencode(v["query"])} for v in ctx.service.store.views()]


@twin("/views", "Saved views", "views", nav="Views")
def views_page(ctx: Context):
    views = _views(ctx)
    return {"views": views}, "views.html", {"views": views}


def _save_view(ctx: Context) -> Response:
    name = ctx.form.get("name", "").strip()
    if not name or len(name) > 80:
        raise BadInput("a view needs a name of up to 80 characters")
    filters = _filters(ctx, ctx.form)
    view_id = ctx.service.store.save_view(ctx.principal.user, name, filters)
    ctx.audit_resource = f"view {view_id} saved: {urlencode(filters)}"
    if ctx.route.kind == "api":
        return ctx.json({"id": view_id, "name": name, "query": filters}, status=201)
    return RedirectResponse("/views", status_code=303)


def _publish(ctx: Context) -> Response:
    try:
        view_id = int(ctx.request.path_params["view_id"])
    except ValueError:
        raise Refused(404, "not_found", "No such view.") from None
    if not ctx.service.store.publish(view_id):
        raise Refused(404, "not_found", "No such view.")
    ctx.audit_resource = f"view {view_id} published to the board (tier A)"
    if ctx.route.kind == "api":
        return ctx.json({"id": view_id, "published": True})
    return RedirectResponse("/views", status_code=303)


route("POST", "/views", "Save a view", "views")(_save_view)
route("POST", API + "/views", "Save a view", "views", kind="api")(_save_view)
route("POST", "/views/{view_id}/publish", "Publish a view", "views")(_publish)
route("POST", API + "/views/{view_id}/publish", "Publish a view", "views", kind="api")(_publish)


# --- IG lead ------------------------------------------------------------------------------------


def _records(ctx: Context) -> list[dict]:
    with ctx.service.audit.path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.endswith("\n")]


def _matches(record: dict, filters: dict[str, str]) -> bool:
    for name, value in filters.items():
        if name == "person" and value not in (record.get("people") or []):
            return False
        if name == "date" and not str(record.get("time", "")).startswith(value):
            return False
        if name not in ("person", "date") and str(record.get(name)) != value:
            return False
    return True


@twin("/audit", "Audit log", "audit", params=AUDIT_FILTERS, nav="Audit")
def audit_page(ctx: Context):
    filters = {k: v for k in AUDIT_FILTERS if (v := (ctx.query.get(k) or "").strip())}
    chosen = [r for r in reversed(_records(ctx)) if _matches(r, filters)]
    check = verify(ctx.service.audit.path)
    chain = {"status": "intact" if check.broken_at is None else "broken", "records": check.records,
             "broken_at": check.broken_at, "reason": check.reason}  # fmt: skip
    result = {"count": len(chosen), "records": chosen[:AUDIT_PAGE]}
    ctx.count = len(result["records"])
    payload = {
        "chain": chain,
        "filters": filters,
        **result,
        "register_sha256": ctx.service.register.sha256,
    }
    values = {"chain": chain, "filters": filters, "result": result, "roles": list(ROLES), "purposes": PURPOSES,
              "tiers": ["A", "P", "audit", "admin", "session", "public"],
              "register_sha256": ctx.service.register.sha256}  # fmt: skip
    return payload, "audit.html", values


@twin("/audit/alerts", "Alerts", "audit", nav="Alerts")
def alerts_page(ctx: Context):
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
    found = alerts(_records(ctx), ctx.service.store.failures_since(since))
    found += care_alerts(ctx.service.care.break_glass_alerts())
    found += _care.shared_identity_alerts(ctx.service, _records(ctx))
    return {"alerts": found}, "alerts.html", {"alerts": found}


def care_alerts(uses: list[dict]) -> list[dict]:
    """Every break-glass use not yet reviewed (open until the IG lead reviews it)."""
    return [
        {"kind": "break_glass", "user": u["user"], "day": u["at"][:10], "review": u["id"],
         "detail": f"record {u['pseudonym'][:12]}… opened: {u['reason']} (review #{u['id']})"}
        for u in uses
    ]  # fmt: skip


@twin("/register", "The governance register", "audit", nav="Register")
def register_page(ctx: Context):
    reg = ctx.service.register
    data = {
        "path": str(reg.path),
        "sha256": reg.sha256,
        "organisations": [asdict(o) for o in reg.organisations.values()],
        "agreements": [
            {**asdict(a), "start": a.start.isoformat(), "end": a.end and a.end.isoformat()}
            for a in reg.agreements
        ],
        "teams": [asdict(t) for t in reg.teams.values()],
        "users": [
            {**asdict(u), "start": u.start.isoformat(), "end": u.end and u.end.isoformat(),
             "family_name": None, "postcode": None}  # for the alert only, never shown
            for u in reg.users.values()
        ],
        "retention_years": reg.retention_years,
        "quarantine_days": reg.quarantine_days,
    }
    return data, "register.html", {"register": data}


# --- the IG lead's generated records (governance/records.py) ------------------------------------


@twin("/incidents", "Incidents", "audit", nav="Incidents")
def incidents_page(ctx: Context):
    today = dt.date.today()
    rows = [i.as_dict(today) for i in ctx.service.incidents.incidents()]
    payload = {"incidents": rows, "overdue": sum(r["overdue"] for r in rows)}
    return payload, "incidents.html", payload


@twin("/register/changes", "Change notices", "audit", nav="Change notices")
def changes_page(ctx: Context):
    found = changes.notices(ctx.service.register)
    return {"notices": found}, "changes.html", {"notices": found}


@route("GET", "/notice", "How your health and care records are used", "public")
def notice_page(ctx: Context) -> Response:
    body = records.notice_html(records.notice(ctx.service.register))
    return ctx.page("notice.html", notice=body)


@route("GET", API + "/notice", "Fair processing notice", "public", kind="api")
def notice_api(ctx: Context) -> Response:
    return ctx.json(records.notice(ctx.service.register))


@twin("/register/flows", "The data-flow register", "audit", nav="Data flows")
def flows_page(ctx: Context):
    flows = records.data_flows(ctx.service.register)
    return {"flows": flows}, "flows.html", {"flows": flows, "columns": records.FLOW_COLUMNS}


@route("GET", "/register/flows.csv", "The data-flow register (CSV)", "audit")
def flows_csv(ctx: Context) -> Response:
    text = records.data_flows_csv(records.data_flows(ctx.service.register))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="data-flows.csv"'})  # fmt: skip


# --- admin --------------------------------------------------------------------------------------


@twin("/admin/loads", "Loads", "admin", nav="Loads")
def loads_page(ctx: Context):
    con = ctx.snap.con
    columns = (
        "load_id",
        "finished_at",
        "as_of",
        "files_loaded",
        "files_rejected",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
    )
    rows = con.execute(f"SELECT {', '.join(columns)} FROM loads ORDER BY load_id").fetchall()
    loads = []
    for row in rows:
        load = dict(zip(columns, row, strict=True))
        load["finished_at"] = str(load["finished_at"])[:19]
        load["as_of"] = str(load["as_of"])
        for name in ("rows_read", "rows_accepted", "rows_rejected"):
            load[name] = disclosure.count(load[name])
        loads.append(load)
    return {"loads": loads}, "loads.html", {"loads": loads}


@twin("/admin/users", "Users", "admin", nav="Users")
def users_page(ctx: Context):
    accounts = {a.user_id: a for a in ctx.service.store.accounts()}
    today = dt.date.today()
    users = []
    for user_id in sorted(set(ctx.service.register.users) | set(accounts)):
        user, account = ctx.service.register.users.get(user_id), accounts.get(user_id)
        state = (
            "none"
            if account is None
            else "disabled"
            if account.disabled
            else "locked"
            if account.locked
            else "active"
        )
        users.append({"user": user_id, "role": user.role if user else None,
                      "organisation": user.organisation if user else None,
                      "registered": bool(user and user.active(today)), "account": state})  # fmt: skip
    return {"users": users}, "users.html", {"users": users}


# --- the linkage officer: identity review (off unless an agreement switches it on) ----------


@twin("/review", "Identity review", "review", nav="Identity review")
def review_page(ctx: Context):
    try:
        data = R.queue(ctx.service.vault, ctx.service.register, dt.date.today())
    except R.Unavailable as busy:
        raise Refused(503, "busy", str(busy)) from None
    ctx.count = len(data["pairs"])
    return data, "review.html", {"review": data}


def _review_decision(decision: str):
    def handle(ctx: Context) -> Response:
        service = ctx.service
        try:
            review_id = int(ctx.request.path_params["review_id"])
            done = R.decide(service.vault, service.reader.path, service.register,
                            dt.date.today(), review_id, decision)  # fmt: skip
        except (ValueError, UserError):
            raise Refused(404, "not_found", "No held pair of a feed under review has this id.") from None
        except R.Unavailable as busy:
            raise Refused(503, "busy", str(busy)) from None
        ctx.audit_resource = f"review {review_id} {done['decision']}"
        ctx.count = done["warehouse_rows_moved"]
        if ctx.route.kind == "api":
            return ctx.json(done)
        return RedirectResponse("/review", status_code=303)

    return handle


for _decision in ("accept", "reject"):
    for _prefix, _kind in (("", "page"), (API, "api")):
        route("POST", f"{_prefix}/review/{{review_id}}/{_decision}", f"{_decision.title()} a held pair",
              "review", kind=_kind)(_review_decision(_decision))  # fmt: skip


assert set(FIELDS) >= {"people", "count"}


from joinedup.service import care as _care  # noqa: E402  (the tier I routes, issue 11)
from joinedup.service import commissioning as _commissioning  # noqa: E402, F401  (board pages of issue 12)
from joinedup.service import ig_records as _ig_records  # noqa: E402, F401  (the IG lead's incident forms, issue 14)
