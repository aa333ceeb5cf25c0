"""Tier I under load: 20 signed-in GPs for 60 s, each opening the person pages of the people on
the demo practice's worklist (the identity from the vault, the joined-up record after role
separation, risk, care plan, MDT history), now and then the worklist itself, after a warm-up of
single requests (the service builds its per-snapshot person documents in the background).

What it models: each user is a clinician who opens a page, reads it and opens the next one. The
pause between a user's pages (think time) is exponential with mean `--think` seconds. Two runs
of `--seconds` each by default: `--think 5` (a busy clinician clicking through a list; reading a
joined-up record takes longer, so this is heavier than real use) and `--think 0` (closed loop:
20 requests always in flight, the saturation figure; latency there is 20 / throughput). The
issue's target (person page p95 <= 300 ms with 20 concurrent clinicians) is judged on the first.

Prints, per run: requests, throughput, p50/p95 per kind of page, errors, the server's CPU per
request (its user+system time over the run / requests), peak RSS and the load average. The area
is bench/web.py's (`python bench/care.py [--dir D] [--people N] [--users 20] [--seconds 60]
[--warmup 90] [--think 5 0]`). Take it with `flock /work/wt/bench.lock` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

import httpx
from web import JOINEDUP, PASSWORD, ROOT, build, rss_mib, sign_in

USER, PURPOSE = "gp.demo", "direct_care"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--dir", type=Path, default=Path(os.environ.get("BENCH_WEB_DIR", ROOT / "out/bench/web"))
    )
    parser.add_argument("--people", type=int, default=175_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=90,
                        help="seconds of single requests first (the service builds its person"
                             " documents in the background on its first tier I request)")  # fmt: skip
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[5.0, 0.0],
        help="mean think time between a user's pages, seconds (one run each)",
    )
    args = parser.parse_args()
    folder = args.dir
    if not (folder / "warehouse.duckdb").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        build(folder, args.people)
    service, audit = folder / "bench-care-service.sqlite", folder / "bench-care-audit.jsonl"
    for path in (service, Path(f"{service}-wal"), Path(f"{service}-shm"), audit):
        path.unlink(missing_ok=True)
    subprocess.run([*JOINEDUP, "accounts", "--service", str(service), "set-password", USER, "--password-stdin"],
                   input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*JOINEDUP, "serve", "--warehouse", str(folder / "warehouse.duckdb"), "--vault", str(folder / "vault.duckdb"),
         "--register", str(folder / "area/register.yaml"), "--service", str(service), "--audit", str(audit),
         "--port", str(port)], stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        return _bench(url, server, args)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _bench(url: str, server: subprocess.Popen, args) -> int:
    while True:
        try:
            if httpx.get(url + "/login", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    gp = sign_in(url, USER, PURPOSE)
    rows = gp.get("/api/v1/worklist").json()["rows"]
    people = [r["pseudonym"] for r in rows if r["relationship"]][:200]
    assert people, "the demo GP's worklist has people with a relationship"
    warm = time.monotonic() + args.warmup
    while time.monotonic() < warm:
        gp.get(f"/persons/{random.choice(people)}/record")
    runs = [_run(url, server, people, think, args) for think in args.think]
    report = {"users": args.users, "seconds": args.seconds, "people": len(people), "runs": runs}
    (args.dir / "care-bench.json").write_text(json.dumps(report, indent=1))
    return 0 if not any(r["errors"] for r in runs) else 4


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _run(url: str, server: subprocess.Popen, people: list[str], think: float, args) -> dict:
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    peak = [rss_mib(server.pid)]
    stop, lock = threading.Event(), threading.Lock()

    def user(index: int) -> None:
        rng = random.Random(index)
        client = sign_in(url, USER, PURPOSE)
        stop.wait(rng.uniform(0, think))  # users do not start in step
        while not stop.is_set():
            kind = rng.choices(["person page", "person api", "worklist"], [10, 5, 1])[0]
            person = rng.choice(people)
            path = {"person page": f"/persons/{person}/record",
                    "person api": f"/api/v1/persons/{person}/record",
                    "worklist": "/api/v1/worklist"}[kind]  # fmt: skip
            t0 = time.monotonic()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            elapsed = time.monotonic() - t0
            with lock:
                timings.setdefault(kind, []).append(elapsed)
                if status != 200:
                    errors.append(f"{kind} {status}")
            if think:
                stop.wait(rng.expovariate(1 / think))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    cpu0, t0 = _cpu_seconds(server.pid), time.monotonic()
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        peak.append(rss_mib(server.pid))
    stop.set()
    for thread in threads:
        thread.join()
    wall, cpu = time.monotonic() - t0, _cpu_seconds(server.pid) - cpu0
    requests = sum(len(t) for t in timings.values())
    run = {
        "think_s": think, "requests": requests, "per_s": round(requests / wall, 1),
        "server_cpu_ms_per_request": round(cpu / max(requests, 1) * 1000, 1),
        "rss_peak_mib": round(max(peak)), "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10], "load_average": os.getloadavg(),
        "pages": {kind: {"requests": len(t), "p50_ms": round(statistics.median(t) * 1000),
                         "p95_ms": round(statistics.quantiles(t, n=20)[18] * 1000)
                         if len(t) >= 20 else None} for kind, t in sorted(timings.items())},
    }  # fmt: skip
    print(f"tier I: {args.users} GPs for {args.seconds:.0f} s over {len(people)} people, think"
          f" time {think:g} s (mean); {requests} requests ({run['per_s']}/s), server CPU"
          f" {run['server_cpu_ms_per_request']} ms per request; peak RSS {run['rss_peak_mib']} MiB;"
          f" errors {run['errors']}; load average"
          f" {' '.join(f'{x:.1f}' for x in run['load_average'])}")  # fmt: skip
    for kind, row in run["pages"].items():
        print(
            f"  {kind:<12} {row['requests']:>6} requests  p50 {row['p50_ms']:>5} ms  p95 {row['p95_ms']} ms"
        )
    return run


if __name__ == "__main__":
    raise SystemExit(main())
