"""Security as a real service needs it: headers on every response, idle expiry, lockout, the
default bind address, and no password, token or identifier in the log or the audit file."""

import datetime as dt
import re

import httpx
from web_helpers import PASSWORD, ROLE_USERS, as_role, login_token

from joinedup.service.store import ServiceStore

HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def test_every_kind_of_response_carries_the_security_headers(server):
    client = as_role(server, "board")
    for path in (
        "/login",
        "/board",
        "/api/v1/board",
        "/static/joinedup.css",
        "/cohort",
        "/api/v1/cohort",
        "/nowhere",
    ):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (path, name)
    page = client.get("/board").text
    assert (
        "<script" not in page
        and " style=" not in page
        and "http://" not in page.replace("http://www.w3.org", "")
    )


def test_session_cookie_flags_and_idle_expiry(server):
    client = httpx.Client(base_url=server.url)
    form = {
        "username": ROLE_USERS["analyst"],
        "password": PASSWORD,
        "purpose": "evaluation",
        "csrf_token": login_token(client),
    }
    response = client.post("/login", data=form)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    token = client.cookies["joinedup_session"]
    store = ServiceStore(server.service)
    store.age_session(token, dt.timedelta(minutes=29))
    assert client.get("/cohort").status_code == 200  # a use resets the idle clock
    store.age_session(token, dt.timedelta(minutes=31))
    assert client.get("/cohort").status_code == 401
    store.close()


def test_five_failures_lock_the_account_even_for_the_right_password(server):
    client = httpx.Client(base_url=server.url)
    user = ROLE_USERS["clinician"]

    def attempt(password):
        return client.post("/login", data={"username": user, "password": password, "purpose": "direct_care",
                                           "csrf_token": login_token(client)}).status_code  # fmt: skip

    assert [attempt("not the password") for _ in range(5)] == [401] * 4 + [403]
    assert attempt(PASSWORD) == 403
    store = ServiceStore(server.service)
    store.set_password(user, PASSWORD)  # an admin reset clears the failures
    store.close()
    assert attempt(PASSWORD) == 303


def test_no_password_token_or_identifier_in_the_log_or_the_audit(server):
    client = as_role(server, "analyst")
    client.get("/cohort")
    token = client.cookies["joinedup_session"]
    wrong = httpx.Client(base_url=server.url)
    wrong.post(
        "/login",
        data={
            "username": "typed-a-password-here",
            "password": PASSWORD,
            "csrf_token": login_token(wrong),
        },
    )
    for path in (server.log, server.audit):
        text = path.read_text()
        assert PASSWORD not in text and token not in text and "typed-a-password-here" not in text
        assert not re.search(r"\b\d{10}\b", text)


def test_serve_binds_127_0_0_1_by_default():
    from joinedup.cli import build_parser

    args = build_parser("serve").parse_args(["serve", "--warehouse", "w", "--vault", "v", "--register", "r",
                                             "--service", "s", "--audit", "a"])  # fmt: skip
    assert (args.host, args.port) == ("127.0.0.1", 8000)
