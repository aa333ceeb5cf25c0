"""Issue 9's property: generated feed files, mutated at random as careless senders and hostile
suppliers do (bytes, quotes, delimiters, line endings, truncation, encodings), never make landing
fail. For every mutated file: no traceback, exit 0/3/4/5, rows read = accepted + rejected with
every physical record read, and no identifier of the area in any output or warehouse table.

JOINEDUP_MUTATIONS sets how many files are tried (default 25: about half a minute)."""

from __future__ import annotations

import csv
import os
import random
import re

import pytest
from cli_helpers import load_args
from landing_area import query, text_values

from joinedup.cli import main

MUTATIONS = int(os.environ.get("JOINEDUP_MUTATIONS", "25"))
FEEDS = (
    "acute_apc",
    "acute_ae",
    "community_contacts",
    "social_care_events",
    "gp_register",
    "delayed_transfers",
    "deaths",
    "gp_medications",
)
SAMPLE_ROWS = 30
HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.choice(
            [0, 0xFF, 0xE9, 0x80, 0x22, 0x2C, 0x0D, 0x0A, 0x09, rng.randrange(256)]
        )
    return bytes(out)


def _quotes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out))
        if out[at] == 0x22 and rng.random() < 0.5:
            del out[at]
        else:
            out.insert(at, 0x22)
    return bytes(out)


def _delimiters(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    new = rng.choice([b";", b"\t", b"|", b",,", b""])
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b",", new, rng.randint(1, 3))
    return b"\n".join(lines)


def _line_endings(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=False)
    ends = [rng.choice([b"\n", b"\r\n", b"\r", b"\n\n"]) for _ in lines]
    if rng.random() < 0.5:
        ends = [rng.choice([b"\r\n", b"\r"])] * len(lines)
    return b"".join(line + end for line, end in zip(lines, ends, strict=True))


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace").replace("a", "á", rng.randint(1, 5))
    kind = rng.choice(["latin-1", "cp1252", "utf-16", "utf-8-sig"])
    return text.encode(kind, errors="replace")


MUTATORS = (_flip_bytes, _quotes, _delimiters, _line_endings, _truncate, _encoding)


def _mutated(original: bytes, rng: random.Random) -> bytes:
    data = original
    for mutate in rng.sample(MUTATORS, rng.randint(1, 3)):
        data = mutate(data, rng) or b"\n"
    return data


def _identifiers(area) -> tuple[set[str], set[str]]:
    """(names, NHS numbers and dates of birth) of the area's people; reference values aside."""
    with (area / "truth" / "people.csv").open(newline="") as handle:
        people = list(csv.DictReader(handle))
    public = set()
    for name in ("postcode_lookup", "practices"):
        with (area / f"{name}.csv").open(newline="") as handle:
            public |= {v for r in csv.DictReader(handle) for v in r.values()}
    names = {p[c] for p in people for c in ("given_name", "family_name")} - public
    return names, {p[c] for p in people for c in ("nhs_number", "date_of_birth")}


def _physical_records(data: bytes) -> tuple[int, bool]:
    """Non-blank lines after line 1, and whether each is surely one record (even quotes)."""
    lines = [line for line in data.splitlines()[1:] if line.strip(b"\r\n")]
    return len(lines), all(line.count(b'"') % 2 == 0 for line in lines)


@pytest.mark.slow
def test_mutated_feed_files_never_break_landing(
    small_generated_area, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("JOINEDUP_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("JOINEDUP_ROW_KEY", raising=False)
    rng = random.Random(20261201)
    warehouse, vault = tmp_path / "w.duckdb", tmp_path / "v.duckdb"
    printed, tried = [], 0
    for attempt in range(MUTATIONS):
        feed = rng.choice(FEEDS)
        lines = (small_generated_area / f"{feed}.csv").read_bytes().splitlines(keepends=True)
        data = _mutated(b"".join(lines[: SAMPLE_ROWS + 1]), rng)
        folder = tmp_path / f"m{attempt}"
        folder.mkdir()
        (folder / f"{feed}.csv").write_bytes(data)
        code = main(load_args(folder, warehouse, vault))
        out = capsys.readouterr()
        printed.append(out.out + out.err)
        assert code in (0, 3, 4, 5), (attempt, out.err)
        assert "Traceback" not in out.err
        tried += 1
        rows = (
            query(
                warehouse,
                "SELECT status, rows_read, rows_accepted, rows_rejected FROM load_files"
                " WHERE file = ? AND load_id = (SELECT max(load_id) FROM loads)",
                [f"{feed}.csv"],
            )
            if warehouse.exists()
            else []
        )
        if code != 0 or not rows:
            continue
        status, read, accepted, rejected = rows[0]
        assert read == accepted + rejected, attempt
        records, one_per_line = _physical_records(data)
        if one_per_line:  # loaded, or rejected whole: every record is counted
            assert read == records, (attempt, status, read, records)
        else:
            assert read <= records, (attempt, status, read, records)
    names, numbers_and_dates = _identifiers(small_generated_area)
    texts = set(text_values(warehouse))
    assert names.isdisjoint(texts) and numbers_and_dates.isdisjoint(texts)
    output = "\n".join(printed)
    words = set(re.findall(r"[A-Za-z'-]+|[0-9-]+", output))
    assert names.isdisjoint(words) and numbers_and_dates.isdisjoint(words)
    print(f"mutated files tried: {tried}")
