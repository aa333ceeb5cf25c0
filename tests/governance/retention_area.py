"""A generated area, landed and with its marts, shared by the retention tests (each test works on
its own copy of the warehouse and vault)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from joinedup.landing import load_paths
from joinedup.marts.build import build_marts
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate
from joinedup.warehouse import store

LOAD_AS_OF = dt.date(2017, 6, 1)  # the generated area covers 2013-04 to 2017-03


@pytest.fixture(scope="session", name="landed_area")
def landed_area_fixture(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("retention_area")
    generate(root / "area", AreaSpec(people=2000, seed=11, months=48), progress=False)
    from joinedup.governance.synthetic import write_register

    write_register(root / "area")
    load_paths(root / "area", root / "w.duckdb", root / "v.duckdb", LOAD_AS_OF, progress=False)
    with store.writing(root / "w.duckdb") as con:
        build_marts(con)
    return root


def copy_stores(source: Path, target: Path) -> Path:
    """The warehouse, vault and key files (owner-only modes kept) of `source` into `target`."""
    target.mkdir(exist_ok=True)
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)
    (target / "area").symlink_to((source / "area").resolve())
    return target


@pytest.fixture(name="stores")
def stores_fixture(landed_area, tmp_path) -> Path:
    """A fresh copy of the landed area's stores."""
    return copy_stores(landed_area, tmp_path / "stores")
