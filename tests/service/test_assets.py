"""The vendored NHS.UK frontend assets are exactly what `joinedup.service.assets` builds from the
npm package pinned in package-lock.json (run `npm ci` first), with nothing remote left in them."""

import json
from pathlib import Path

from joinedup.service.assets import SOURCE, TARGET, built

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_assets_match_the_pinned_npm_package():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    installed = json.loads((ROOT / "node_modules/nhsuk-frontend/package.json").read_text())
    assert installed["version"] == lock["packages"]["node_modules/nhsuk-frontend"]["version"]
    files = built(ROOT / SOURCE)
    for name, data in files.items():
        assert (TARGET / name).read_bytes() == data, name
    assert b"https://" not in files["nhsuk-frontend.min.css"]
