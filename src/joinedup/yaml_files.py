"""Reading YAML: a user's file (the register, a plan, a rule file) with one wording of its errors,
and the data files that ship with the package (the metric catalogue, plausibility rules)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from joinedup.errors import BadInput


def read_user_yaml(path: Path, what: str) -> tuple[Any, str, bytes]:
    """The parsed document, its text and its bytes (for a version hash). A file that cannot be
    read, is not UTF-8 or is not YAML is BadInput naming the file (and the line)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read the {what} ({error.strerror})", file=str(path)) from None
    try:
        text = raw.decode("utf-8")
        return yaml.safe_load(text), text, raw
    except UnicodeDecodeError:
        raise BadInput(f"the {what} is not UTF-8 text", file=str(path)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise BadInput(
            f"the {what} is not valid YAML ({getattr(error, 'problem', None) or 'unreadable'})",
            file=str(path),
            line=None if mark is None else mark.line + 1,
        ) from None


def packaged_yaml(package: str, name: str) -> Any:
    """A YAML data file shipped in `package` (a slip in it is a bug, caught by the tests)."""
    return yaml.safe_load(resources.files(package).joinpath(name).read_text("utf-8"))
