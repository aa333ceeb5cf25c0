"""`joinedup caseload --warehouse W --vault V --register R --service S --audit A --user ID
--team T --top N [--reason TEXT]`: the user accepts the first N people of their worklist with
whom they have a legitimate relationship onto one of their teams' caseloads (GOVERNANCE.md: a
team member accepts a person from a worklist, with a reason), exactly as the worklist's "add to
caseload" does: through the service's own routes, in process, so that the relationship is
decided, the entry written and each acceptance audited with its rule as on the page. The user
needs an active account in S (`joinedup accounts`), as on the page.

`make demo` runs it for gp.demo and the first practice's MDT, so that the MDT's community matron
and social worker have a caseload on the demo area (a generated area cannot know person keys, so
`joinedup synth` cannot write caseloads itself).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from joinedup.errors import BadInput, CheckFailed
from joinedup.governance.register import load_register
from joinedup.service import care_records
from joinedup.service.app import SESSION_COOKIE, create_app
from joinedup.service.store import ServiceStore

PURPOSE = "direct_care"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", required=True, type=Path, help="the warehouse")
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault")
    parser.add_argument("--register", required=True, type=Path, help="governance register (YAML)")
    parser.add_argument("--service", required=True, type=Path, help="the service's store S")
    parser.add_argument("--audit", required=True, type=Path, help="the audit log")
    parser.add_argument("--user", required=True, help="who accepts (a user of the team)")
    parser.add_argument(
        "--team",
        help="the team whose caseload they join (default: the user's"
        " first integrated team, e.g. their practice's MDT)",
    )
    parser.add_argument("--top", type=int, default=5, help="how many people (default 5)")
    parser.add_argument("--reason", default="accepted from the worklist")


def run(args: argparse.Namespace) -> int:
    accepted, team = accept_from_worklist(args.warehouse, args.vault, args.register, args.service,
                                          args.audit, args.user, args.team, args.top, args.reason)  # fmt: skip
    print(f"{accepted} people of {args.user}'s worklist accepted onto {team}'s caseload")
    return 0


def accept_from_worklist(warehouse: Path, vault: Path, register_path: Path, service: Path,
                         audit: Path, user: str, team: str | None, top: int, reason: str) -> tuple[int, str]:  # fmt: skip
    """How many people were accepted (fewer when the worklist has fewer with a relationship),
    and onto which team's caseload."""
    register = load_register(register_path)
    teams = register.users[user].teams if user in register.users else ()
    if team is None:
        team = next((t for t in teams if register.teams[t].kind == "integrated_team"), None)
    if team is None or team not in teams:
        raise BadInput(f"--team {team}: not a team of the register's user {user}")
    app = create_app(warehouse, register, service, audit, vault=vault)
    care_records.from_tables_only(app.state.service.reader)  # one-shot: no background build
    with warnings.catch_warnings():  # starlette's note on its httpx backend
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    store = ServiceStore(service)
    session = store.open_session(user, PURPOSE)
    try:
        client = TestClient(
            app, base_url="https://127.0.0.1", cookies={SESSION_COOKIE: session.token}
        )
        worklist = client.get("/api/v1/worklist")
        if worklist.status_code == 401:
            raise CheckFailed(f"--user {user}: no active account in {service} (joinedup accounts)")
        if worklist.status_code != 200:
            raise CheckFailed(f"--user {user}: the worklist answered {worklist.status_code}")
        rows = [r for r in worklist.json()["rows"] if r["relationship"] and not r["on_caseload"]]
        accepted = 0
        for row in rows[:top]:
            form = {"pseudonym": row["pseudonym"], "team": team, "reason": reason,
                    "csrf_token": session.csrf_token}  # fmt: skip
            accepted += client.post("/api/v1/caseload", data=form).status_code == 200
        return accepted, team
    finally:
        store.close_session(session.token)
        store.close()
