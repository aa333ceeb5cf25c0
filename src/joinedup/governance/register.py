"""The governance register (GOVERNANCE.md): one YAML file of organisations, data-sharing
agreements, teams, users and retention, validated on load.

Errors name the file, the line and the key (`register.yaml, line 12, key agreements[3].purposes:
...`). The register's SHA-256 (of the file's bytes) is its version: every audit record carries it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from joinedup import contract
from joinedup.errors import BadInput
from joinedup.governance.access import PURPOSES, ROLES
from joinedup.yaml_files import read_user_yaml

ORGANISATION_KINDS = (
    "council",
    "ccg",
    "acute_trust",
    "community_trust",
    "mental_health_trust",
    "gp_practice",
    "ambulance",
    "hospice",
    "csu",
)
TEAM_KINDS = (
    "practice",
    "integrated_team",
    "community_team",
    "social_care_team",
    "hospital_team",
    "spor",
)
IDENTIFIER_SETS = ("full", "minimal")
LEGAL_BASES = ("s251", "consent", "direct_care", "statutory")
DEFAULT_RETENTION_YEARS = 8
DEFAULT_QUARANTINE_DAYS = 90


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    kind: str
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    feed: str
    controllers: tuple[str, ...]
    processor: str
    legal_basis: str
    reference: str | None
    purposes: tuple[str, ...]
    start: dt.date
    end: dt.date | None
    identifiers: str = "full"  # or "minimal": NHS number, postcode, birth year and month, sex
    identity_review: bool = False  # clerical review of this feed's held linkage pairs (off: CAG)

    def active(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Team:
    code: str
    organisation: str
    kind: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    organisation: str
    teams: tuple[str, ...]
    role: str
    start: dt.date
    end: dt.date | None
    # optional, only for the IG lead's alert of a viewer sharing a person's family name or
    # postcode (compared inside the identity vault, never shown)
    family_name: str | None = field(default=None, repr=False)
    postcode: str | None = field(default=None, repr=False)

    def active(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Register:
    path: Path
    sha256: str
    organisations: dict[str, Organisation]
    agreements: tuple[Agreement, ...]
    teams: dict[str, Team]
    users: dict[str, User]
    retention_years: dict[str, int]
    quarantine_days: int
    vault_key_file: Path | None = None  # the vault's encryption key (identity/encryption.py)

    def minimal_feeds(self, day: dt.date) -> set[str]:
        """Feeds an active agreement restricts to the minimal identifiers (landing discards
        names and the day of birth before linkage)."""
        return {a.feed for a in self.agreements if a.active(day) and a.identifiers == "minimal"}

    def review_feeds(self, day: dt.date) -> set[str]:
        """Feeds whose active agreement switches identity review on (GOVERNANCE.md: off by
        default, held pairs then stay separate people)."""
        return {a.feed for a in self.agreements if a.active(day) and a.identity_review}

    def active_feeds(self, day: dt.date) -> set[str]:
        """Feeds with at least one agreement active on `day` (only these are landed)."""
        return {a.feed for a in self.agreements if a.active(day)}

    def feeds_without_purpose(self, purpose: str, day: dt.date) -> list[str]:
        """Active feeds whose active agreements do not allow `purpose`: an output drawing on them
        may not be produced for it."""
        allowing = {a.feed for a in self.agreements if a.active(day) and purpose in a.purposes}
        return sorted(self.active_feeds(day) - allowing)

    def active_user(self, user_id: str, day: dt.date) -> User | None:
        user = self.users.get(user_id)
        return user if user is not None and user.active(day) else None


def person_level_feeds() -> tuple[str, ...]:
    """The feeds an agreement must cover; reference tables (population, lookups) are open data."""
    return tuple(feed.name for feed in contract.event_feeds())


# --- reading with line numbers ------------------------------------------------------------------


class _Where:
    """Line numbers of every key path in the YAML document, for error messages."""

    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        if root is not None:
            self._walk(root, "")

    def _walk(self, node: yaml.Node, key: str) -> None:
        self.lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for name, value in node.value:
                self.lines[_join(key, str(name.value))] = name.start_mark.line + 1
                self._walk(value, _join(key, str(name.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, f"{key}[{index}]")

    def error(self, key: str, rule: str) -> BadInput:
        probe = key
        while probe and probe not in self.lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return BadInput(
            f"{self.path}, line {self.lines.get(probe, 1)}, key {key or '(top)'}: {rule}"
        )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def load_register(path: str | Path) -> Register:
    """The register at `path`, validated; BadInput names the file, line and key of a problem."""
    path = Path(path)
    data, text, raw = read_user_yaml(path, "register")
    where = _Where(path, yaml.compose(text))
    return _Reader(where).register(data, hashlib.sha256(raw).hexdigest())


class _Reader:
    def __init__(self, where: _Where) -> None:
        self.where = where

    def register(self, data, sha256: str) -> Register:
        top = self._mapping(
            data,
            "",
            {"organisations", "agreements", "teams", "users", "retention", "vault_encryption"},
        )
        organisations = self._unique(
            self._each(top, "organisations", self._organisation), "organisations"
        )
        teams = self._unique(
            self._each(top, "teams", lambda item, key: self._team(item, key, organisations)),
            "teams",
        )
        agreements = tuple(
            self._each(top, "agreements", lambda item, k: self._agreement(item, k, organisations))
        )
        users = self._unique(
            self._each(top, "users", lambda item, k: self._user(item, k, organisations, teams)),
            "users",
            key="id",
        )
        retention = self._mapping(
            top.get("retention") or {}, "retention", {"feeds", "quarantine_days"}
        )
        years = self._mapping(
            retention.get("feeds") or {}, "retention.feeds", set(person_level_feeds())
        )
        for feed, value in years.items():
            self._positive(value, f"retention.feeds.{feed}")
        quarantine = retention.get("quarantine_days", DEFAULT_QUARANTINE_DAYS)
        self._positive(quarantine, "retention.quarantine_days")
        return Register(
            path=self.where.path,
            sha256=sha256,
            organisations=organisations,
            agreements=agreements,
            teams=teams,
            users=users,
            retention_years={
                f: int(years.get(f, DEFAULT_RETENTION_YEARS)) for f in person_level_feeds()
            },
            quarantine_days=int(quarantine),
            vault_key_file=self._key_file(top.get("vault_encryption")),
        )

    def _key_file(self, section) -> Path | None:
        """The vault key file, relative to the register's folder; it must exist when used."""
        if section is None:
            return None
        m = self._mapping(section, "vault_encryption", {"key_file"}, required={"key_file"})
        return self.where.path.parent / self._text(m, "vault_encryption", "key_file")

    # each section ------------------------------------------------------------------------------

    def _organisation(self, item, key: str) -> Organisation:
        m = self._mapping(
            item, key, {"code", "name", "kind", "feeds"}, required={"code", "name", "kind"}
        )
        feeds = self._names(
            m.get("feeds", []), f"{key}.feeds", person_level_feeds(), "a contract feed"
        )
        return Organisation(
            self._text(m, key, "code"),
            self._text(m, key, "name"),
            self._choice(m, key, "kind", ORGANISATION_KINDS),
            feeds,
        )

    def _team(self, item, key: str, organisations) -> Team:
        m = self._mapping(
            item, key, {"code", "organisation", "kind"}, required={"code", "organisation", "kind"}
        )
        return Team(
            self._text(m, key, "code"),
            self._known(m, key, "organisation", organisations, "organisation"),
            self._choice(m, key, "kind", TEAM_KINDS),
        )

    def _agreement(self, item, key: str, organisations) -> Agreement:
        fields = {
            "feed",
            "controllers",
            "processor",
            "legal_basis",
            "reference",
            "purposes",
            "start",
            "end",
            "identifiers",
            "identity_review",
        }
        optional = {"reference", "end", "identifiers", "identity_review"}
        m = self._mapping(item, key, fields, required=fields - optional)
        feed = self._choice(m, key, "feed", person_level_feeds(), "a contract feed")
        controllers = self._names(
            m["controllers"], f"{key}.controllers", tuple(organisations), "an organisation code"
        )
        if not controllers:
            raise self.where.error(f"{key}.controllers", "at least one controller")
        basis = self._choice(m, key, "legal_basis", LEGAL_BASES)
        if basis == "s251" and not m.get("reference"):
            raise self.where.error(f"{key}.reference", "an s251 agreement needs its CAG reference")
        purposes = self._names(m["purposes"], f"{key}.purposes", PURPOSES, "a purpose")
        start, end = self._date(m, key, "start"), self._date(m, key, "end")
        if end is not None and end < start:
            raise self.where.error(f"{key}.end", "ends before it starts")
        return Agreement(
            feed,
            controllers,
            self._known(m, key, "processor", organisations, "organisation"),
            basis,
            str(m["reference"]) if m.get("reference") else None,
            purposes,
            start,
            end,
            self._choice(m, key, "identifiers", IDENTIFIER_SETS) if "identifiers" in m else "full",
            self._flag(m, key, "identity_review"),
        )

    def _user(self, item, key: str, organisations, teams) -> User:
        fields = {"id", "name", "organisation", "teams", "role", "start", "end", "family_name",
                  "postcode"}  # fmt: skip
        m = self._mapping(
            item, key, fields, required={"id", "name", "organisation", "role", "start"}
        )
        start, end = self._date(m, key, "start"), self._date(m, key, "end")
        return User(
            self._text(m, key, "id"),
            self._text(m, key, "name"),
            self._known(m, key, "organisation", organisations, "organisation"),
            self._names(m.get("teams", []), f"{key}.teams", tuple(teams), "a team code"),
            self._choice(m, key, "role", tuple(ROLES)),
            start,
            end,
            *(self._text(m, key, n) if n in m else None for n in ("family_name", "postcode")),
        )

    # small checks ------------------------------------------------------------------------------

    def _mapping(
        self, value, key: str, allowed: set[str], required: set[str] = frozenset()
    ) -> dict:
        if not isinstance(value, dict):
            raise self.where.error(key, "expected a mapping")
        for name in value:
            if str(name) not in allowed:
                raise self.where.error(
                    _join(key, str(name)), f"unknown key (allowed: {', '.join(sorted(allowed))})"
                )
        for name in sorted(required - set(value)):
            raise self.where.error(key, f"missing key {name}")
        return value

    def _each(self, top: dict, section: str, read) -> list:
        """Every entry of a list section, each read by read(item, key) (key: its path)."""
        return [read(item, f"{section}[{i}]") for i, item in enumerate(self._list(top, section))]

    def _list(self, top: dict, name: str) -> list:
        value = top.get(name)
        if not isinstance(value, list) or not value:
            raise self.where.error(name, "expected a non-empty list")
        return value

    def _text(self, m: dict, key: str, name: str) -> str:
        value = m.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.where.error(f"{key}.{name}", "expected text")
        return value

    def _choice(self, m: dict, key: str, name: str, choices, what: str | None = None) -> str:
        value = m.get(name)
        if value not in choices:
            rule = f"must be {what}" if what else f"must be one of {', '.join(choices)}"
            raise self.where.error(f"{key}.{name}", rule)
        return value

    def _known(self, m: dict, key: str, name: str, known: dict, what: str) -> str:
        value = self._text(m, key, name)
        if value not in known:
            raise self.where.error(f"{key}.{name}", f"no {what} with this code in the register")
        return value

    def _names(self, values, key: str, choices, what: str) -> tuple[str, ...]:
        if not isinstance(values, list):
            raise self.where.error(key, "expected a list")
        for index, value in enumerate(values):
            if value not in choices:
                raise self.where.error(f"{key}[{index}]", f"must be {what}")
        return tuple(values)

    def _date(self, m: dict, key: str, name: str) -> dt.date | None:
        value = m.get(name)
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        raise self.where.error(f"{key}.{name}", "expected a date (YYYY-MM-DD)")

    def _flag(self, m: dict, key: str, name: str) -> bool:
        value = m.get(name, False)
        if not isinstance(value, bool):
            raise self.where.error(f"{key}.{name}", "expected true or false")
        return value

    def _positive(self, value, key: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.where.error(key, "expected a whole number above 0")

    def _unique(self, items: list, section: str, key: str = "code") -> dict:
        out: dict = {}
        for index, item in enumerate(items):
            name = getattr(item, key)
            if name in out:
                raise self.where.error(f"{section}[{index}].{key}", "repeats an earlier entry")
            out[name] = item
        return out
