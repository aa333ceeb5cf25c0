"""Helpers of the service tests (the fixtures are in conftest.py)."""

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx

from joinedup.governance.synthetic import DEMO_USERS

PASSWORD = "a demo password for tests"
# the synthetic register's nine users plus one whose account the tests disable
FORMER = "former.analyst"
PURPOSE = {"board": "commissioning", "analyst": "jsna", "super_user": "commissioning", "gp": "direct_care",
           "clinician": "direct_care", "social_worker": "case_finding", "ig_lead": "oversight",
           "linkage_officer": "linkage_review", "admin": "administration"}  # fmt: skip
ROLE_USERS = {role: user for user, _, _, _, role in DEMO_USERS}


@dataclass
class Server:
    url: str
    root: Path
    area: Path
    warehouse: Path
    service: Path
    audit: Path
    register: Path
    log: Path
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login_token(client: httpx.Client) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(
    server: Server, user: str, purpose: str | None = None, expect: int = 303
) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60)
    form = {
        "username": user,
        "password": PASSWORD,
        "purpose": purpose or "",
        "csrf_token": login_token(client),
    }
    response = client.post("/login", data=form)
    assert response.status_code == expect, response.text[:300]
    return client


def as_role(server: Server, role: str) -> httpx.Client:
    return sign_in(server, ROLE_USERS[role], PURPOSE[role])


def csrf(client: httpx.Client) -> str:
    return client.get("/api/v1/session").json()["csrf_token"]


def start_server(warehouse, vault, register, service, audit, log) -> tuple[subprocess.Popen, str]:
    """`joinedup serve` on a free port of 127.0.0.1, once its sign-in page answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "joinedup.cli", "serve", "--warehouse", str(warehouse), "--vault", str(vault),
               "--register", str(register), "--service", str(service), "--audit", str(audit),
               "--port", str(port)]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"the service did not start: {log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def pseudonymous(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse read only as its edges show it: every table's person number replaced by
    the person's pseudonym (temporary views over the stored tables), for tests that pick people
    by SQL and ask the service about them."""
    con = duckdb.connect(str(warehouse), read_only=True)
    (database,) = con.execute("SELECT current_database()").fetchone()
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND column_name = 'pseudo_id' AND table_name <> 'pseudonyms'"
    ).fetchall():
        stored = f'"{database}".main."{table}"'
        con.execute(
            f'CREATE TEMP VIEW "{table}" AS SELECT t.* REPLACE (p.pseudonym AS pseudo_id)'
            f' FROM {stored} t LEFT JOIN "{database}".main.pseudonyms p USING (pseudo_id)'
        )
    return con
