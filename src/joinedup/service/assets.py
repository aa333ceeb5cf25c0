"""Vendor NHS.UK frontend's built stylesheet and the images it uses from `node_modules` (npm
`nhsuk-frontend`, pinned in package-lock.json) into the served `static/nhsuk/`.

The stylesheet's web fonts come from assets.nhs.uk: those @font-face rules are dropped (the
service loads nothing from outside 127.0.0.1; the type falls back to Arial, as the frontend
intends), and image URLs are made relative. Run `python -m joinedup.service.assets` after
`npm ci`; a test checks the vendored copy is what this produces.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SOURCE = Path("node_modules/nhsuk-frontend/dist/nhsuk")
TARGET = Path(__file__).parent / "static" / "nhsuk"
STYLESHEET = "nhsuk-frontend.min.css"
EXTRA_IMAGES = ("favicon.svg",)
_REMOTE_FONT = re.compile(r"@font-face\{[^}]*https://[^}]*\}")
_IMAGE = re.compile(r"url\(/assets/images/([A-Za-z0-9_.-]+)\)")


def built(source: Path = SOURCE) -> dict[str, bytes]:
    """The vendored files (relative path -> bytes) as built from `source`."""
    css = (source / STYLESHEET).read_text(encoding="utf-8")
    css = _REMOTE_FONT.sub("", css)
    images = sorted(set(_IMAGE.findall(css)) | set(EXTRA_IMAGES))
    css = _IMAGE.sub(lambda m: f"url(images/{m.group(1)})", css)
    if "https://" in css or "http://" in css:
        raise ValueError(f"{source / STYLESHEET}: a remote URL is left in the stylesheet")
    files = {STYLESHEET: css.encode("utf-8")}
    files.update(
        {f"images/{name}": (source / "assets" / "images" / name).read_bytes() for name in images}
    )
    return files


def vendor(source: Path = SOURCE, target: Path = TARGET) -> list[str]:
    for name, data in built(source).items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    return sorted(built(source))


if __name__ == "__main__":
    print("\n".join(vendor(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)))
