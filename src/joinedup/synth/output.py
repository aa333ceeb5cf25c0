"""Writes the feeds as their organisations would send them, and the truth beside them.

Each person-level row gets its identifiers from the person's true identity as at the event, then
the flaws real feeds have (missing or mistyped NHS numbers, someone else's valid NHS number,
nicknames, initials, misspellings, given and family name swapped, a former family name, swapped
day and month, placeholder dates of birth, an old postcode after a move); about 0.1% of rows are
broken against the contract.
Every flaw and every broken row is recorded under truth/, never in the feeds.
This module handles identifiable (synthetic) values: it logs none of them.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from joinedup import contract
from joinedup.synth import breakage
from joinedup.synth.config import FlawRates
from joinedup.synth.names import NICKNAMES
from joinedup.synth.people import People

WRITE_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")
NICKNAMED_FEEDS = {"social_care_events", "acute_ae", "urgent_care_contacts"}
BLANK_POSTCODE = {"acute_ae": 0.02, "urgent_care_contacts": 0.03, "community_contacts": 0.01}
SPACED_NHS_NUMBER = 0.03  # '943 476 5919': tolerated by the contract
TRUTH_FILES = {
    "row_person": ("feed", "line", "person_id"),
    "flaws": ("feed", "line", "flaw"),
    "broken_rows": ("feed", "line", "column", "rule"),
}


def to_text(values) -> pa.Array:
    """A column of any numpy dtype as CSV text, nulls for NaN/NaT/None."""
    values = np.asarray(values)
    if values.dtype.kind == "M":
        unit = np.datetime_data(values.dtype)[0]
        text = np.datetime_as_string(values, unit="D" if unit == "D" else "m")
        return pa.array(text, mask=np.isnat(values))
    if values.dtype.kind == "f":
        text = np.char.mod("%.2f", values)
        return pa.array(text, mask=np.isnan(values))
    if values.dtype.kind in "iu":
        return pa.array(values.astype(str))
    return pa.array([None if v is None else str(v) for v in values.tolist()], type=pa.string())


class Misspeller:
    """One-character edits: substitution, deletion or transposition of adjacent letters."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, name: str) -> str:
        if len(name) < 4:
            return name + "e"
        i = int(self.rng.integers(1, len(name) - 1))
        kind = int(self.rng.integers(0, 3))
        if kind == 0:
            return name[:i] + "aeiourn"[int(self.rng.integers(0, 7))] + name[i + 1 :]
        if kind == 1:
            return name[:i] + name[i + 1 :]
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def mistype_nhs_number(number: str, rng: np.random.Generator) -> str:
    """Swap two adjacent different digits, or change the check digit: a typing slip."""
    digits = list(number)
    if rng.random() < 0.5:
        candidates = [i for i in range(9) if digits[i] != digits[i + 1]]
        i = candidates[int(rng.integers(0, len(candidates)))]
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    else:
        digits[9] = str((int(digits[9]) + int(rng.integers(1, 10))) % 10)
    return "".join(digits)


class AreaWriter:
    """Streams every feed to DIR/<feed>.csv and the truth to DIR/truth/."""

    def __init__(self, out: Path, people: People, flaws: FlawRates, rng: np.random.Generator,
                 as_of: np.datetime64) -> None:
        self.out = out
        self.people = people
        self.flaws = flaws
        self.rng = rng
        self.as_of = as_of
        self.misspell = Misspeller(rng)
        self.rotation: dict[str, count] = {}  # per feed: which kind of rule the next broken row breaks
        self.lines: dict[str, int] = {}
        self.files: dict[str, object] = {}
        (out / "truth").mkdir(parents=True, exist_ok=True)
        self.truth = {name: self._open(out / "truth" / f"{name}.csv", cols)
                      for name, cols in TRUTH_FILES.items()}

    @staticmethod
    def _open(path: Path, header: tuple[str, ...]):
        handle = path.open("wb")
        handle.write((",".join(header) + "\n").encode())
        return handle

    def _feed_file(self, name: str):
        if name not in self.files:
            self.files[name] = self._open(self.out / f"{name}.csv", contract.feed(name).column_names)
            self.lines[name] = 1
        return self.files[name]

    def write(self, name: str, columns: dict[str, object], person: np.ndarray | None = None,
              on_day: np.ndarray | None = None) -> None:
        """Write rows of a feed. `columns` holds every non-identifier column (missing = empty);
        `person` (people index) and `on_day` (event date) fill the identifier columns."""
        feed = contract.feed(name)
        handle = self._feed_file(name)
        n = len(next(iter(columns.values()))) if columns else len(person)
        if n == 0:
            return
        text = {c: to_text(v) for c, v in columns.items()}
        flaws: list[tuple[np.ndarray, str]] = []
        if person is not None:
            text.update(self._identifiers(feed, person, on_day, flaws))
        broken = breakage.break_rows(feed, text, n, self.flaws.broken_rows, self.rng, self.as_of,
                                     self.rotation.setdefault(name, count()))
        first_line = self.lines[name] + 1
        table = pa.table([text.get(c, pa.nulls(n, pa.string())) for c in feed.column_names],
                         names=list(feed.column_names))
        pacsv.write_csv(table, handle, WRITE_OPTIONS)
        self.lines[name] += n
        self._write_truth(name, first_line, person, flaws, broken)

    def _write_truth(self, name, first_line, person, flaws, broken) -> None:
        lines = lambda rows: first_line + rows  # noqa: E731
        if person is not None:
            self._truth_rows("row_person", {"feed": name, "line": lines(np.arange(len(person))),
                                            "person_id": self.people.person_id[person]})
        for rows, flaw in flaws:
            self._truth_rows("flaws", {"feed": name, "line": lines(rows), "flaw": flaw})
        for rows, column, rule in broken:
            self._truth_rows("broken_rows", {"feed": name, "line": lines(rows),
                                             "column": column, "rule": rule})

    def _truth_rows(self, which: str, values: dict) -> None:
        n = max(len(v) for v in values.values() if isinstance(v, np.ndarray))
        if n == 0:
            return
        arrays = [to_text(np.full(n, v) if not isinstance(v, np.ndarray) else v)
                  for v in values.values()]
        pacsv.write_csv(pa.table(arrays, names=list(values)), self.truth[which], WRITE_OPTIONS)

    def _identifiers(self, feed, person, on_day, flaws) -> dict[str, pa.Array]:
        people, rng = self.people, self.rng
        names = set(feed.column_names)
        out: dict[str, pa.Array] = {}
        if "nhs_number" in names:
            out["nhs_number"] = pa.array(self._nhs_numbers(feed.name, person, flaws), pa.string())
        if not feed.has_person_identifiers and feed.name != "gp_register":
            return out
        messy = feed.has_person_identifiers  # gp_register is PDS-traced: clean
        given = people.given_name(person)
        family = people.family_name(person)
        dob = people.date_of_birth(person)
        if messy:
            self._former_family_name(person, family, flaws)
            self._flaw_names(feed.name, given, family, flaws)
            dob = self._flaw_dob(feed.name, dob, flaws)
        out["given_name"] = pa.array(given.tolist(), pa.string())
        out["family_name"] = pa.array(family.tolist(), pa.string())
        out["date_of_birth"] = to_text(dob)
        out["sex"] = pa.array(people.sex[person].astype(str))
        postcode = people.postcode_text(person)
        if messy:
            postcode = self._flaw_postcode(feed.name, person, on_day, postcode, flaws)
        out["postcode"] = pa.array(postcode.tolist(), pa.string())
        if "la_person_id" in names:
            ids = people.council_id_text(person, rng)
            flaws.append((np.flatnonzero(people.is_second_council_id(person, ids)), "second_council_id"))
            out["la_person_id"] = pa.array(ids.tolist(), pa.string())
        return out

    def _pick(self, n: int, rate: float) -> np.ndarray:
        return np.flatnonzero(self.rng.random(n) < rate)

    def _nhs_numbers(self, feed_name, person, flaws) -> np.ndarray:
        numbers = self.people.nhs_number[person].astype(str).astype(object)
        if not contract.feed(feed_name).has_person_identifiers:
            return numbers
        n = len(person)
        missing = self._pick(n, self.flaws.missing_nhs.get(feed_name, 0.0))
        numbers[missing] = None
        mistyped = np.setdiff1d(self._pick(n, self.flaws.mistyped_nhs), missing)
        numbers[mistyped] = [mistype_nhs_number(v, self.rng) for v in numbers[mistyped]]
        wrong = np.setdiff1d(self._pick(n, self.flaws.wrong_valid_nhs), np.union1d(missing, mistyped))
        numbers[wrong] = self.people.nhs_number[self._someone_else(person[wrong])].astype(str)
        spaced = np.setdiff1d(self._pick(n, SPACED_NHS_NUMBER), missing)
        numbers[spaced] = [f"{v[:3]} {v[3:6]} {v[6:]}" for v in numbers[spaced]]
        flaws += [(missing, "missing_nhs_number"), (mistyped, "mistyped_nhs_number"),
                  (wrong, "wrong_valid_nhs_number")]
        return numbers

    def _someone_else(self, person: np.ndarray) -> np.ndarray:
        """Whose valid NHS number a record carries by mistake: most often a household member's
        (the same address and family name, else the same address), otherwise anyone's."""
        people, size = self.people, self.people.size
        others = np.empty(len(person), dtype=np.int64)
        for i, p in enumerate(person.tolist()):
            chosen = -1
            if self.rng.random() < self.flaws.household_share_of_wrong_nhs:
                here = people.postcode[:size] == people.postcode[p]
                here[p] = False
                family = here & (people.family_idx[:size] == people.family_idx[p])
                pool = np.flatnonzero(family if family.any() else here)
                chosen = int(pool[self.rng.integers(0, len(pool))]) if len(pool) else -1
            while chosen in (-1, p):
                chosen = int(self.rng.integers(0, size))
            others[i] = chosen
        return others

    def _former_family_name(self, person, family, flaws) -> None:
        former = self.people.former_family_name(person)
        rows = np.flatnonzero((former != None) & (self.rng.random(len(person))  # noqa: E711
                                                  < self.flaws.former_family_name))
        family[rows] = former[rows]
        flaws.append((rows, "former_family_name"))

    def _flaw_names(self, feed_name, given, family, flaws) -> None:
        n = len(given)
        if feed_name in NICKNAMED_FEEDS:
            rows = [i for i in self._pick(n, self.flaws.nickname) if given[i] in NICKNAMES]
            for i in rows:
                forms = NICKNAMES[given[i]]
                given[i] = forms[int(self.rng.integers(0, len(forms)))]
            flaws.append((np.array(rows, dtype=int), "nickname"))
            initial = np.setdiff1d(self._pick(n, self.flaws.initial), rows)
            given[initial] = [name[0] for name in given[initial]]
            flaws.append((initial, "initial"))
        swapped = self._pick(n, self.flaws.swapped_names)
        given[swapped], family[swapped] = family[swapped], given[swapped].copy()
        flaws.append((swapped, "swapped_names"))
        rows = self._pick(n, self.flaws.misspelt_name)
        for i in rows:
            if self.rng.random() < 0.5:
                given[i] = self.misspell(given[i])
            else:
                family[i] = self.misspell(family[i])
        flaws.append((rows, "misspelt_name"))

    def _flaw_dob(self, feed_name, dob: np.ndarray, flaws) -> np.ndarray:
        dob = self._swap_day_and_month(dob, flaws)
        if feed_name in NICKNAMED_FEEDS:
            rates = self.flaws.placeholder_dob
            first_of_january = self._pick(len(dob), rates["0101"])
            dob[first_of_january] = dob[first_of_january].astype("datetime64[Y]").astype(dob.dtype)
            unknown = np.setdiff1d(self._pick(len(dob), rates["1900"]), first_of_january)
            dob[unknown] = np.datetime64("1900-01-01")
            flaws.append((np.union1d(first_of_january, unknown), "placeholder_dob"))
        return dob

    def _swap_day_and_month(self, dob: np.ndarray, flaws) -> np.ndarray:
        months = dob.astype("datetime64[M]")
        day = (dob - months).astype(int) + 1
        month = months.astype(int) % 12 + 1
        candidates = (day <= 12) & (day != month)
        rows = np.flatnonzero(candidates & (self.rng.random(len(dob)) < self.flaws.swapped_dob))
        years = dob[rows].astype("datetime64[Y]")
        dob[rows] = (years + (day[rows] - 1).astype("timedelta64[M]")).astype("datetime64[D]") + (
            month[rows] - 1
        ).astype("timedelta64[D]")
        flaws.append((rows, "swapped_dob"))
        return dob

    def _flaw_postcode(self, feed_name, person, on_day, postcode, flaws) -> np.ndarray:
        people = self.people
        moved = (people.previous_postcode[person] >= 0) & (people.moved_on_day[person] <= on_day)
        stale = np.flatnonzero(moved & (self.rng.random(len(person)) < self.flaws.old_postcode_after_move))
        postcode[stale] = people.postcode_strings[people.previous_postcode[person[stale]]]
        flaws.append((stale, "old_postcode"))
        blank = self._pick(len(person), BLANK_POSTCODE.get(feed_name, 0.005))
        postcode[blank] = None
        return postcode

    def close(self) -> dict[str, int]:
        """Close every file; a feed with no rows in this area is still sent, header only."""
        for feed in contract.event_feeds():
            self._feed_file(feed.name)
        for handle in [*self.files.values(), *self.truth.values()]:
            handle.close()
        return {name: lines - 1 for name, lines in self.lines.items()}
