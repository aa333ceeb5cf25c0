"""A load into the warehouse while the service runs: no request fails during it, and the
service shows the new data as soon as the load has committed (well within a minute)."""

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
import yaml
from cli_helpers import load_args
from web_helpers import PASSWORD, free_port, login_token

from joinedup.cli import main
from joinedup.service.store import ServiceStore

pytestmark = pytest.mark.slow


def _register(area, path, without=None):
    data = yaml.safe_load((area / "register.yaml").read_text())
    data["agreements"] = [a for a in data["agreements"] if a["feed"] != without]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_load_during_service_breaks_no_page_and_shows_within_a_minute(
    tmp_path, small_generated_area
):
    area = small_generated_area
    warehouse, vault = tmp_path / "w.duckdb", tmp_path / "v.duckdb"
    load = load_args(area, warehouse, vault)
    assert (
        main(
            [
                *load,
                "--register",
                str(_register(area, tmp_path / "partial.yaml", without="acute_ae")),
            ]
        )
        == 0
    )
    assert main(["marts", "--warehouse", str(warehouse)]) == 0
    store = ServiceStore(tmp_path / "s.sqlite")
    store.set_password("analyst.demo", PASSWORD)
    store.close()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "joinedup.cli", "serve", "--warehouse", str(warehouse), "--vault", str(vault),
         "--register", str(area / "register.yaml"), "--service", str(tmp_path / "s.sqlite"),
         "--audit", str(tmp_path / "a.jsonl"), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        for _ in range(300):
            try:
                client.get("/login")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        form = {
            "username": "analyst.demo",
            "password": PASSWORD,
            "purpose": "jsna",
            "csrf_token": login_token(client),
        }
        assert client.post("/login", data=form).status_code == 303

        def ae_latest():
            return client.get("/api/v1/board/metrics/ae_attendances").json()["latest_value"] or 0

        assert ae_latest() == 0  # no A&E feed landed yet
        statuses, stop = [], threading.Event()

        def browse():
            while not stop.is_set():
                for path in (
                    "/board",
                    "/api/v1/cohort",
                    "/api/v1/board/metrics/nel_admissions",
                    "/cohort",
                ):
                    statuses.append(client.get(path).status_code)

        browser = threading.Thread(target=browse)
        browser.start()
        try:
            assert main(load) == 0  # the full register: acute_ae lands now
            assert main(["marts", "--warehouse", str(warehouse)]) == 0
            committed = time.monotonic()
            while ae_latest() == 0 and time.monotonic() - committed < 60:
                time.sleep(0.5)
            shown_after = time.monotonic() - committed
        finally:
            stop.set()
            browser.join()
        assert ae_latest() > 0 and shown_after < 60
        assert len(statuses) > 8 and set(statuses) == {200}
    finally:
        server.terminate()
        server.wait(timeout=20)
