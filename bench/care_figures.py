"""Care-plan coverage and MDT before/after on a generated area, through the service as a user
would: the demo GP's practice MDT meets on DAY and discusses the practice's top people of the
worklist *as it was scored on DAY* (`risk score --index-date DAY`, which sees nothing after it:
no selection on the months after review), records an outcome and a lead professional, writes
their joint care plans; then the board's figures (`GET /api/v1/board/care-plans`, tier A,
disclosure-controlled): coverage of the top 5% (latest scoring) by practice and locality, and
the discussed people's activity in the 6 months before and after DAY. Before/after of people
chosen at high risk falls by regression to the mean whether or not the MDT helped, so the same
cohort also goes to `joinedup evaluate` (matched comparison, difference-in-differences).

`python bench/care_figures.py --dir D [--people 2500] [--discuss 40] [--day 2015-06-01]`
(the area is bench/web.py's, seed 1; `make demo`'s is 175,000 people, seed 1: `--people 175000`
or `--dir` a copy of it. An MDT day 6 months before the data's end gives the after period).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import socket
import subprocess
import time
from pathlib import Path

import duckdb
import httpx
from web import JOINEDUP, PASSWORD, build, sign_in

USERS = ("gp.demo", "board.demo")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--people", type=int, default=2500)
    parser.add_argument("--discuss", type=int, default=40)
    parser.add_argument("--day", default="2015-06-01")
    args = parser.parse_args()
    folder = args.dir
    if not (folder / "warehouse.duckdb").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        build(folder, args.people)
    scored_on_day(folder, args.day)
    service, audit = folder / "figures-service.sqlite", folder / "figures-audit.jsonl"
    for path in (service, Path(f"{service}-wal"), Path(f"{service}-shm"), audit):
        path.unlink(missing_ok=True)
    for user in USERS:
        subprocess.run([*JOINEDUP, "accounts", "--service", str(service), "set-password", user,
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*JOINEDUP, "serve", "--warehouse", str(folder / "warehouse.duckdb"), "--vault", str(folder / "vault.duckdb"),
         "--register", str(folder / "area/register.yaml"), "--service", str(service), "--audit", str(audit),
         "--port", str(port)], stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while True:
            try:
                if httpx.get(url + "/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        figures = run_mdt(url, args.discuss, args.day)
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures["evaluate"] = evaluate(folder, figures.pop("cohort"), args.day)
    print(json.dumps(figures, indent=1))
    return 0


def scored_on_day(folder: Path, day: str) -> None:
    """Risk scores at index date DAY (features of the data before it only), once."""
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    found = con.execute("SELECT count(*) FROM risk_scores WHERE index_date = ?", [day]).fetchone()
    con.close()
    if not found[0]:
        subprocess.run([*JOINEDUP, "risk", "score", "--warehouse", str(folder / "warehouse.duckdb"),
                        "--model-dir", str(folder / "models"), "--index-date", day, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def evaluate(folder: Path, cohort: list[str], day: str) -> dict:
    """`joinedup evaluate` of the discussed people from DAY: 6 months, each outcome's
    difference-in-differences beside the naive before/after."""
    path = folder / "figures-cohort.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([["pseudo_id"], *([p] for p in cohort)])
    answer = subprocess.run([*JOINEDUP, "evaluate", "--warehouse", str(folder / "warehouse.duckdb"),
                             "--cohort", str(path), "--start", day],
                            capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(answer.stdout)
    return {"cohort": result.get("cohort"), "risk_score": result.get("risk_score"),
            "6 months": result["windows"].get("6 months")}  # fmt: skip


def _post(client: httpx.Client, path: str, **form) -> dict:
    token = client.get("/api/v1/session").json()["csrf_token"]
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 200, answer.text[:200]
    return answer.json()


def run_mdt(url: str, discuss: int, day: str) -> dict:
    gp = sign_in(url, "gp.demo", "direct_care")
    team = next(t for t in gp.get("/api/v1/mdt").json()["teams"] if t.startswith("MDT-"))
    scored = gp.get("/api/v1/worklist", params={"index_date": day}).json()["rows"]
    rows = [r for r in scored if r["relationship"]][:discuss]
    for r in rows:
        _post(
            gp,
            "/api/v1/mdt/referrals",
            pseudonym=r["pseudonym"],
            team=team,
            reason="top of the worklist",
        )
    meeting = _post(gp, "/api/v1/mdt/meetings", team=team, day=day)["meeting"]["id"]
    for r in rows:
        _post(gp, f"/api/v1/mdt/meetings/{meeting}/outcomes", pseudonym=r["pseudonym"],
              outcome="joint care plan agreed", lead="gp.demo")  # fmt: skip
        _post(gp, f"/api/v1/persons/{r['pseudonym']}/care-plan", goals="stay well at home",
              lead_professional="gp.demo", review_date="2030-01-01")  # fmt: skip
    board = sign_in(url, "board.demo", "commissioning")
    figures = board.get("/api/v1/board/care-plans").json()
    figures.pop("context", None)
    practice = re.sub(r"^MDT-", "", team)
    return {"discussed": len(rows), "mdt_day": day, "practice": practice,
            "chosen_on_scores_of": day, "coverage": figures["coverage"],
            "that_practice": figures["coverage"]["practice"].get(practice),
            "mdt_before_after": figures["mdt_before_after"],
            "cohort": [r["pseudonym"] for r in rows]}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
