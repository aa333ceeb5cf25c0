"""One small generated area (2,500 people) landed under its register, with marts and risk scores,
and one `joinedup serve` on 127.0.0.1 over it, shared by every service test of the session."""

import datetime as dt

import pytest
import yaml
from cli_helpers import load_args
from web_helpers import FORMER, PASSWORD, ROLE_USERS, Server, start_server, stop_server

from joinedup.cli import main
from joinedup.service.store import ServiceStore


@pytest.fixture(scope="session")
def web_area(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    area = root / "area"
    assert main(["synth", "--out", str(area), "--people", "2500", "--seed", "3", "--quiet"]) == 0
    register = yaml.safe_load((area / "register.yaml").read_text())
    register["users"].append({"id": FORMER, "name": "Former analyst", "organisation": "0DE", "teams": [],
                              "role": "analyst", "start": dt.date(2013, 1, 1)})  # fmt: skip
    (root / "register.yaml").write_text(yaml.safe_dump(register, sort_keys=False))
    warehouse, vault = root / "warehouse.duckdb", root / "vault.duckdb"
    args = [*load_args(area, warehouse, vault), "--register", str(root / "register.yaml")]
    assert main(args) == 0
    assert main(["marts", "--warehouse", str(warehouse)]) == 0
    models = ["--warehouse", str(warehouse), "--model-dir", str(root / "models"), "--quiet"]
    assert main(["risk", "train", *models]) == 0
    assert main(["risk", "score", *models, "--index-date", "2016-04-01"]) == 0
    return root, area, warehouse, vault


@pytest.fixture(scope="session")
def server(web_area):
    root, area, warehouse, vault = web_area
    service, audit, log = root / "service.sqlite", root / "audit.jsonl", root / "serve.log"
    store = ServiceStore(service)
    for user in [*ROLE_USERS.values(), FORMER]:
        store.set_password(user, PASSWORD)
    store.close()
    process, url = start_server(warehouse, vault, root / "register.yaml", service, audit, log)
    yield Server(url, root, area, warehouse, service, audit, root / "register.yaml", log, process)
    stop_server(process)
