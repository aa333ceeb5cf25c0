"""The web service: one table of routes, each naming its rule (`governance.access.RULES`), and one
request path through which every page and API call goes: who is asking (session), may they
(deny by default), CSRF on every change, the handler, the audit record, the security headers.

Pages are server-rendered (no script) in the NHS.UK frontend style; each has a JSON twin under
/api/v1 with one response shape (the payload's fields plus `context`) and one error shape
(`{"error": {"status", "code", "message", "rule"}}`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from joinedup.errors import UserError
from joinedup.governance.access import (
    PURPOSES,
    ROLES,
    RULES,
    SYSTEM,
    Principal,
    decide,
    purposes_of,
)
from joinedup.governance.audit import AuditLog
from joinedup.governance.changes import record_changes
from joinedup.governance.incidents import IncidentLog
from joinedup.governance.register import Register
from joinedup.service.care_store import CareStore
from joinedup.service.store import ServiceStore
from joinedup.service.warehouse import Snapshot, WarehouseReader

SESSION_COOKIE = "joinedup_session"
LOGIN_COOKIE = "joinedup_login"
STATIC = Path(__file__).parent / "static"
CONTENT_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
TIER_LABELS = {
    "A": "A (aggregate, disclosure-controlled)",
    "P": "P (pseudonymised, audited)",
    "I": "I (identifiable, direct care, audited with the relationship)",
    "audit": "audit (no person-level data)",
    "admin": "administration (no person-level data)",
    "review": "identity review (identities of held pairs only, no event data, audited)",
    "session": "none (start page)",
    "public": "public",
}
AUDITED_TIERS = ("P", "I", "audit", "review")
DATA_TIERS = ("A", "P", "I")  # drawn from the feeds: their agreements must allow the purpose


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    name: str  # also the page title
    rule: str  # a key of governance.access.RULES
    handler: Callable
    kind: str = "page"  # page, api or asset
    params: tuple[str, ...] = ()  # query parameters (documented in the OpenAPI description)


@dataclass
class Service:
    reader: WarehouseReader
    store: ServiceStore
    audit: AuditLog
    register: Register
    templates: jinja2.Environment
    export_secret: bytes
    care: CareStore
    incidents: IncidentLog
    vault: Path | None = None  # opened only by identity review, per request


@dataclass
class Context:
    """One request as its handler sees it."""

    request: Request
    route: Route
    service: Service
    principal: Principal | None
    csrf_token: str | None
    form: dict[str, str]
    people: list[str] | None = None  # pseudonyms shown (person pages), for the audit record
    count: int | None = None  # rows shown or exported, for the audit record
    audit_resource: str | None = None
    audit_rule: str | None = None  # the rule that decided (tier I: the relationship's), if not the route's
    extra_cookies: list[tuple] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _snap: Snapshot | None = None

    @property
    def snap(self) -> Snapshot:
        """The warehouse snapshot this request reads (opened on first use, one per request)."""
        if self._snap is None:
            self._snap = self._stack.enter_context(self.service.reader.connection())
        return self._snap

    def run(self, handler: Callable) -> Response:
        with self._stack:
            return handler(self)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    @property
    def tier(self) -> str:
        return RULES[self.route.rule].tier

    def context_json(self) -> dict:
        p = self.principal
        return {
            "user": p.user if p else None,
            "role": p.role if p else None,
            "purpose": p.purpose if p else None,
            "tier": self.tier,
            "rule": self.route.rule,
        }

    def json(self, payload: dict, status: int = 200) -> JSONResponse:
        return JSONResponse({**payload, "context": self.context_json()}, status_code=status)

    def page(
        self, template: str, status: int = 200, title: str | None = None, **values
    ) -> HTMLResponse:
        html = self.service.templates.get_template(template).render(
            title=title or self.route.name,
            principal=self.principal,
            tier=TIER_LABELS[self.tier],
            csrf_token=self.csrf_token,
            navigation=self._navigation(),
            account_items=[{"text": f"{self.principal.name} · {self.principal.role}", "icon": True}]
            if self.principal
            else [],
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def _navigation(self) -> list[dict]:
        if self.principal is None:
            return []
        path = self.request.url.path
        return [
            {"href": href, "text": text, "current": path == href or path.startswith(href + "/")}
            for href, text in links_for(self.principal)
        ]


# --- the route table ----------------------------------------------------------------------------

ROUTES: list[Route] = []
NAVIGATION: dict[str, str] = {}  # page path -> short name, for the menu and the start page


def route(method: str, path: str, name: str, rule: str, kind: str = "page", params=(), nav=None):
    def register(handler: Callable) -> Callable:
        ROUTES.append(Route(method, path, name, rule, handler, kind, tuple(params)))
        if nav:
            NAVIGATION[path] = nav
        return handler

    return register


def links_for(principal: Principal) -> list[tuple[str, str]]:
    allowed = {
        r.path
        for r in ROUTES
        if r.kind == "page" and r.method == "GET" and decide(principal, r.rule).allowed
    }
    return [(path, text) for path, text in NAVIGATION.items() if path in allowed]


# --- the request path ---------------------------------------------------------------------------


def _principal(service: Service, request: Request):
    session = service.store.session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None, None
    user = service.register.active_user(session.user_id, dt.date.today())
    if user is None:
        return None, None
    organisation = user.organisation
    return Principal(user.id, user.name, organisation, user.role, session.purpose), session


def _error(ctx: Context, status: int, code: str, message: str) -> Response:
    if ctx.route.kind == "api":
        body = {
            "error": {"status": status, "code": code, "message": message, "rule": ctx.route.rule}
        }
        return JSONResponse(body, status_code=status)
    return _error_page(ctx, status, code, message)


def _error_page(ctx: Context, status: int, code: str, message: str) -> Response:
    titles = {401: "Sign in needed", 403: "Not allowed", 404: "Not found", 400: "Bad request",
              503: "Try again soon"}  # fmt: skip
    return ctx.page(
        "error.html", status=status, title=titles.get(status, "Problem"), code=code, message=message
    )


def _audit(ctx: Context, decision: str, rule: str, status: int) -> None:
    p = ctx.principal
    ctx.service.audit.append(
        user=p.user if p else None,
        organisation=p.organisation if p else None,
        role=p.role if p else None,
        purpose=p.purpose if p else None,
        tier=ctx.tier,
        action=f"{ctx.route.method} {ctx.route.kind} {status}",
        resource=ctx.audit_resource or _resource(ctx.request),
        people=ctx.people,
        count=ctx.count,
        decision=decision,
        rule=ctx.audit_rule or rule,
    )


def _resource(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def endpoint(service: Service, r: Route) -> Callable:
    async def handle(request: Request) -> Response:
        form = {}
        if r.method == "POST":
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        principal, session = _principal(service, request)
        ctx = Context(request, r, service, principal, session.csrf_token if session else None, form)
        decision = decide(principal, r.rule)
        if not decision.allowed:
            if principal is not None or r.rule != "public":
                _audit(ctx, "deny", decision.rule, decision.status)
            code = "signed_out" if decision.status == 401 else "forbidden"
            message = (
                "Sign in first."
                if decision.status == 401
                else "Your role or purpose does not allow this."
            )
            return _error(ctx, decision.status, code, message)
        # the pages of tiers A, P and I draw on the person-level feeds (tier A's figures on all
        # of them): an output no agreement of its feeds allows for the purpose is not produced
        # (the IG lead's and admin's tier A pages run the system: their purposes are no use)
        if (
            RULES[r.rule].tier in DATA_TIERS
            and principal is not None
            and principal.purpose not in SYSTEM
            and service.register.feeds_without_purpose(principal.purpose, dt.date.today())
        ):
            _audit(ctx, "deny", "agreement", 403)
            message = "No data-sharing agreement of the feeds allows this purpose."
            return _error(ctx, 403, "no_agreement", message)
        if r.method == "POST" and r.rule != "public":
            given = form.get("csrf_token") or request.headers.get("x-csrf-token") or ""
            if not session or not hmac.compare_digest(given, session.csrf_token):
                _audit(ctx, "deny", "csrf", 403)
                return _error(
                    ctx, 403, "csrf", "The form has expired or did not come from this service."
                )
        try:
            response = await run_in_threadpool(ctx.run, r.handler)
        except Refused as refused:
            if refused.status in (401, 403):
                _audit(ctx, "deny", r.rule, refused.status)
            return _error(ctx, refused.status, refused.code, refused.message)
        except UserError as error:
            return _error(ctx, 400, "bad_request", str(error))
        if decision.rule != "public" and (
            RULES[r.rule].tier in AUDITED_TIERS or r.method == "POST"
        ):
            _audit(ctx, "allow", decision.rule, response.status_code)
        for cookie in ctx.extra_cookies:
            response.set_cookie(**cookie)
        return response

    handle.__name__ = f"{r.method.lower()}_{r.path.strip('/').replace('/', '_').replace('{', '').replace('}', '') or 'home'}"
    return handle


class SecurityHeaders:
    """Adds the security headers to every response (pages, API, assets, errors)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                headers.append((b"cache-control", b"max-age=3600" if static else b"no-store"))
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        return await self.app(scope, receive, with_headers)


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("joinedup.service", "templates"),
                jinja2.PackageLoader("nhsuk_frontend_jinja", "templates"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # the NHS.UK Jinja port needs it
    )


def create_app(
    warehouse: Path,
    register: Register,
    service_path: Path,
    audit_path: Path,
    incidents_path: Path | None = None,
    vault: Path | None = None,
) -> FastAPI:
    from joinedup.service import handlers  # noqa: F401  (fills ROUTES)

    record_changes(register)  # a changed contract or register becomes a notice for the IG lead
    incidents_path = incidents_path or service_path.with_name(
        service_path.name + ".incidents.jsonl"
    )

    store = ServiceStore(service_path)
    service = Service(
        reader=WarehouseReader(warehouse),
        store=store,
        audit=AuditLog(audit_path, register.sha256),
        register=register,
        templates=_templates(),
        export_secret=store.secret("export_pseudonyms"),
        care=CareStore(store, vault, register.vault_key_file),
        incidents=IncidentLog(incidents_path),
        vault=vault,
    )
    from joinedup.service import board, people

    @asynccontextmanager
    async def lifespan(app):
        # tier A's figures and tier P's tables, built in the background from the start (not by
        # the first requests), and again after each load
        service.reader.keep_warm([board.board, people.options, people.pyramid])
        yield

    app = FastAPI(title="joinedup", version="1", openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=lifespan)  # fmt: skip
    for r in ROUTES:
        extra = {
            "parameters": [
                {"name": p, "in": "query", "required": False, "schema": {"type": "string"}}
                for p in r.params
            ]
        }
        app.add_api_route(
            r.path,
            endpoint(service, r),
            methods=[r.method],
            include_in_schema=r.kind == "api",
            summary=r.name,
            description=f"rule {r.rule}: {RULES[r.rule].description}",
            openapi_extra=extra if r.params else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        body = {
            "error": {
                "status": status,
                "code": "not_found" if status == 404 else "error",
                "message": str(exc.detail),
                "rule": None,
            }
        }
        return JSONResponse(body, status_code=status)

    app.state.service = service
    app.add_middleware(SecurityHeaders)
    return app


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def query_string(values: dict) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


__all__ = ["ROUTES", "Route", "create_app", "ROLES", "PURPOSES", "purposes_of"]
