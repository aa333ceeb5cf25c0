"""Command lines the tests of several folders run (importable from every folder: tests/ is on the
path through tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path


def load_args(area: Path, warehouse: Path, vault: Path, as_of: str = "2016-05-01") -> list[str]:
    """`joinedup load` of an area into its two stores on a day, quietly."""
    return ["load", str(area), "--warehouse", str(warehouse), "--vault", str(vault),
            "--as-of", as_of, "--quiet"]  # fmt: skip
