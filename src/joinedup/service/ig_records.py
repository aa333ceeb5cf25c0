"""The IG lead's changes to the incident log from the service (governance/incidents.py): record
a suspected breach, then its actions, its report and its closure. Each is a POST with the
session's CSRF token, audited by the request path like every change (never the text: an incident
is described without identifiers, but the audit record keeps to the path and the decision).

Form fields: `POST /incidents` `what`, `found` (YYYY-MM-DD, default today), `people_affected`;
`POST /incidents/{incident_id}` `event` (`action`, `reported`, `closed`), `on` (default today)
and `text` (the action, whom it was reported to, or the outcome). The JSON twins under /api/v1
answer 201 with the incident, and 200."""

from __future__ import annotations

import datetime as dt

from fastapi.responses import RedirectResponse, Response

from joinedup.errors import BadInput
from joinedup.governance.incidents import Incident, IncidentLog
from joinedup.service.app import Context, Refused, route

API = "/api/v1"
EVENTS = {  # the form's event -> (what the IG lead calls it, the log's method)
    "action": ("an action", IncidentLog.action),
    "reported": ("the report (to whom)", IncidentLog.reported),
    "closed": ("the closure (outcome)", IncidentLog.close),
}


def _record(ctx: Context) -> Incident:
    form = ctx.form
    people = form.get("people_affected", "").strip()
    if not people.isdigit():
        raise BadInput("people affected: a count of people, 0 or more")
    return ctx.service.incidents.record(form.get("what", ""), _day(form.get("found")), int(people))


def _update(ctx: Context) -> Incident:
    form, log = ctx.form, ctx.service.incidents
    number = ctx.request.path_params["incident_id"]
    if not number.isdigit() or int(number) not in {i.id for i in log.incidents()}:
        raise Refused(404, "not_found", "No incident with this number.")
    event = form.get("event", "")
    if event not in EVENTS:
        raise BadInput(f"event: one of {', '.join(EVENTS)}")
    text = form.get("text", "").strip()
    if not text:
        raise BadInput(f"text: say what {EVENTS[event][0]} was")
    return EVENTS[event][1](log, int(number), _day(form.get("on")), text)


def _day(text: str | None) -> dt.date:
    if not text or not text.strip():
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput("date: expected YYYY-MM-DD") from None


def _reply(ctx: Context, incident: Incident, status: int = 200) -> Response:
    ctx.audit_resource = f"{ctx.request.url.path} incident {incident.id}"
    if ctx.route.kind == "api":
        return ctx.json({"incident": incident.as_dict(dt.date.today())}, status)
    return RedirectResponse(f"/incidents#incident-{incident.id}", status_code=303)


@route("POST", "/incidents", "Record an incident", "audit")
def record_page(ctx: Context) -> Response:
    return _reply(ctx, _record(ctx))


@route("POST", API + "/incidents", "Record an incident", "audit", kind="api")
def record_api(ctx: Context) -> Response:
    return _reply(ctx, _record(ctx), 201)


@route("POST", "/incidents/{incident_id}", "Update an incident", "audit")
def update_page(ctx: Context) -> Response:
    return _reply(ctx, _update(ctx))


@route("POST", API + "/incidents/{incident_id}", "Update an incident", "audit", kind="api")
def update_api(ctx: Context) -> Response:
    return _reply(ctx, _update(ctx))
