"""`make bench` (the web service): 20 concurrent signed-in users for 60 s on a generated area.

Half are board members (the board page, metric pages), half analysts (those, plus cohort counts,
person lists and person timelines). Prints p50/p95 per kind of page, errors, the service's
resident memory (peak of 1 s samples of /proc/PID/status), and the time to the first page after
`joinedup serve` starts (the sign-in page, then the first board page with cold caches).
Everything runs on 127.0.0.1. The area is built in BENCH_WEB_DIR (default out/bench/web) unless it
is there already: `python bench/web.py [--dir D] [--people N] [--users 20] [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
JOINEDUP = [sys.executable, "-m", "joinedup.cli"]
PASSWORD = "bench password, not a secret"
HEADLINES = ("nel_admissions", "dtoc_days", "ae_attendances", "readmissions_30d", "falls_65")
AGE_BANDS = ("65-69", "70-74", "75-79", "80-84", "85-89", "90+")


def run(*args: str) -> None:
    subprocess.run([*JOINEDUP, *args], check=True)


def build(folder: Path, people: int) -> None:
    area, warehouse = folder / "area", folder / "warehouse.duckdb"
    run("synth", "--out", str(area), "--people", str(people), "--seed", "1", "--quiet")
    run("load", str(area), "--warehouse", str(warehouse), "--vault", str(folder / "vault.duckdb"),
        "--as-of", "2016-05-01", "--register", str(area / "register.yaml"), "--quiet")  # fmt: skip
    run("marts", "--warehouse", str(warehouse))
    models = ["--warehouse", str(warehouse), "--model-dir", str(folder / "models"), "--quiet"]
    run("risk", "train", *models)
    run("risk", "score", *models, "--index-date", "2016-04-01")


def rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def sign_in(url: str, user: str, purpose: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    form = {"username": user, "password": PASSWORD, "purpose": purpose, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 303
    return client


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--dir", type=Path, default=Path(os.environ.get("BENCH_WEB_DIR", ROOT / "out/bench/web"))
    )
    parser.add_argument("--people", type=int, default=175_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    folder = args.dir
    if not (folder / "warehouse.duckdb").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        build(folder, args.people)
    service, audit = folder / "bench-service.sqlite", folder / "bench-audit.jsonl"
    for path in (service, audit):
        path.unlink(missing_ok=True)
    for user in ("board.demo", "analyst.demo"):
        subprocess.run([*JOINEDUP, "accounts", "--service", str(service), "set-password", user, "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    server = subprocess.Popen(
        [*JOINEDUP, "serve", "--warehouse", str(folder / "warehouse.duckdb"), "--vault", str(folder / "vault.duckdb"),
         "--register", str(folder / "area/register.yaml"), "--service", str(service), "--audit", str(audit),
         "--port", str(port)], stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        return _bench(url, server, started, args)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _bench(url: str, server: subprocess.Popen, started: float, args) -> int:
    while True:
        try:
            if httpx.get(url + "/login", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    first_page = time.monotonic() - started
    board = sign_in(url, "board.demo", "commissioning")
    assert board.get("/board").status_code == 200
    first_board = time.monotonic() - started
    analyst = sign_in(url, "analyst.demo", "jsna")
    warm = analyst.get("/api/v1/cohort", params={"age_band": "80-84"}).json()
    people = [p["pseudonym"] for p in warm["people"]]
    first_cohort = time.monotonic() - started
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    peak = [rss_mib(server.pid)]
    stop = threading.Event()
    lock = threading.Lock()

    def user(index: int) -> None:
        rng = random.Random(index)
        client = sign_in(
            url, *(("board.demo", "commissioning") if index % 2 == 0 else ("analyst.demo", "jsna"))
        )
        kinds = (
            ["board", "metric"]
            if index % 2 == 0
            else ["board", "metric", "cohort count", "person list", "person"]
        )
        while not stop.is_set():
            kind = rng.choice(kinds)
            if kind == "board":
                path, params = "/board", {}
            elif kind == "metric":
                path, params = f"/board/metrics/{rng.choice(HEADLINES)}", {}
            elif kind == "cohort count":
                path, params = (
                    "/api/v1/cohort",
                    {"age_band": rng.choice(AGE_BANDS), "sex": rng.choice("12")},
                )
            elif kind == "person list":
                path, params = (
                    "/cohort",
                    {"age_band": rng.choice(AGE_BANDS), "page": rng.randint(1, 5)},
                )
            else:
                path, params = f"/api/v1/people/{rng.choice(people)}", {}
            t0 = time.monotonic()
            try:
                status = client.get(path, params=params).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            elapsed = time.monotonic() - t0
            with lock:
                timings.setdefault(kind, []).append(elapsed)
                if status != 200:
                    errors.append(f"{kind} {status}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        peak.append(rss_mib(server.pid))
    stop.set()
    for thread in threads:
        thread.join()
    report = {
        "users": args.users,
        "seconds": args.seconds,
        "first_page_s": round(first_page, 2),
        "first_board_page_s": round(first_board, 2),
        "first_cohort_s": round(first_cohort, 2),
        "rss_peak_mib": round(max(peak)),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "pages": {
            kind: {
                "requests": len(t),
                "p50_ms": round(statistics.median(t) * 1000),
                "p95_ms": round(statistics.quantiles(t, n=20)[18] * 1000) if len(t) >= 20 else None,
            }
            for kind, t in sorted(timings.items())
        },  # fmt: skip
    }
    print(f"web service: {args.users} users for {args.seconds:.0f} s; first page {report['first_page_s']} s,"
          f" first board page {report['first_board_page_s']} s, first cohort {report['first_cohort_s']} s; peak RSS {report['rss_peak_mib']} MiB;"
          f" errors {report['errors']}")  # fmt: skip
    for kind, row in report["pages"].items():
        print(
            f"  {kind:<14} {row['requests']:>6} requests  p50 {row['p50_ms']:>5} ms  p95 {row['p95_ms']} ms"
        )
    (args.dir / "web-bench.json").write_text(json.dumps(report, indent=1))
    return 0 if not errors else 4


if __name__ == "__main__":
    sys.exit(main())
