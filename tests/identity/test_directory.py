"""The service's window on the vault (`identity/directory.py`): pseudonym <-> person key, current
identities by person key read only, a merged person's key following whom they became, a vault a
writer holds answering VaultBusy (and the map already built still serving), and the viewer's
family-name-or-postcode check answering only the fact; an Identity's repr shows nothing."""

import pytest
from identity_fixtures import background, by_id, table

from joinedup.identity import Vault
from joinedup.identity.directory import Directory, VaultBusy
from joinedup.identity.keys import KEY_ENV


@pytest.fixture
def landed(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    rows = background(40)
    path = tmp_path / "vault.duckdb"
    with Vault.open(path) as vault:
        answers = by_id(vault.resolve(table(rows)))
    truth = {answers[r["record_id"]]["person_key"]: r for r in rows}
    return path, answers, truth


def test_pseudonyms_and_person_keys_map_both_ways_and_identities_come_from_the_vault(landed):
    path, answers, truth = landed
    directory = Directory(path)
    some = list(answers.values())[:5]
    for answer in some:
        assert directory.person_key(answer["pseudo_id"]) == answer["person_key"]
    keys = [a["person_key"] for a in some]
    assert directory.pseudonyms(keys) == {a["person_key"]: a["pseudo_id"] for a in some}
    assert directory.person_key("0" * 64) is None
    found = directory.identities(keys)
    for key in keys:
        row, identity = truth[key], found[key].as_dict()
        assert identity["nhs_number"] == row["nhs_number"]
        assert identity["name"] == f"{row['given_name']} {row['family_name']}"
        assert identity["date_of_birth"] == row["date_of_birth"].isoformat()
        assert identity["postcode"] == row["postcode"]
        assert repr(found[key]) == "Identity(<not shown>)" and row["family_name"] not in str(found)


def test_a_merged_person_follows_whom_they_became(landed):
    path, answers, truth = landed
    first, second = sorted(truth)[:2]
    with Vault.open(path) as vault:
        vault.merge(second, first)  # as review's accept does
    directory = Directory(path)
    version, merged = directory.merged()
    assert merged == {second: first} and version == 1
    assert directory.pseudonyms([second])[second] == directory.pseudonyms([first])[first]
    assert directory.identities([second])[second].nhs_number == truth[first]["nhs_number"]


def test_while_a_writer_holds_the_vault_lookups_are_busy_and_the_map_still_serves(landed):
    path, answers, _ = landed
    directory = Directory(path)
    answer = next(iter(answers.values()))
    assert directory.person_key(answer["pseudo_id"]) == answer["person_key"]
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]);"
         " c.execute('CREATE TABLE IF NOT EXISTS held (x INT)'); print('held', flush=True);"
         " sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(VaultBusy):
            directory.identities([answer["person_key"]])
        assert directory.person_key(answer["pseudo_id"]) == answer["person_key"]
    finally:
        holder.communicate("")
    assert directory.identities([answer["person_key"]])


def test_sharing_a_family_name_or_postcode_answers_only_which_keys(landed):
    path, _, truth = landed
    directory = Directory(path)
    keys = sorted(truth)
    target = truth[keys[3]]
    by_name = directory.sharing(keys, f" {target['family_name'].lower()} ", None)
    assert by_name == {k for k in keys if truth[k]["family_name"] == target["family_name"]}
    by_postcode = directory.sharing(keys, None, target["postcode"].replace(" ", ""))
    assert by_postcode == {k for k in keys if truth[k]["postcode"] == target["postcode"]}
    assert directory.sharing(keys, None, None) == set()


def test_a_store_keyed_by_pseudonym_is_rekeyed_by_person_key_at_start(landed, tmp_path):
    import sqlite3

    from joinedup.service.care_store import CareStore
    from joinedup.service.store import ServiceStore

    path, answers, _ = landed
    known = list(answers.values())[:2]
    old = tmp_path / "service.sqlite"
    with sqlite3.connect(old) as con:
        con.execute("CREATE TABLE caseload (id INTEGER PRIMARY KEY, person TEXT NOT NULL, team TEXT"
                    " NOT NULL, accepted TEXT NOT NULL, accepted_by TEXT NOT NULL, reason TEXT"
                    " NOT NULL, closed TEXT, closed_by TEXT)")  # fmt: skip
        con.execute("CREATE TABLE care_plans (person TEXT NOT NULL, version INTEGER NOT NULL,"
                    " by_user TEXT NOT NULL, at TEXT NOT NULL, plan TEXT NOT NULL)")  # fmt: skip
        for a in known:
            con.execute("INSERT INTO caseload (person, team, accepted, accepted_by, reason) VALUES"
                        " (?, 'CT-DN', '2026-01-01', 'u', 'r')", [a["pseudo_id"]])  # fmt: skip
        con.execute("INSERT INTO caseload (person, team, accepted, accepted_by, reason) VALUES"
                    " (?, 'CT-DN', '2026-01-01', 'u', 'r')", ["f" * 64])  # fmt: skip
        plan = '{"goals": "g", "lead_professional": "u", "review_date": "2030-01-01"}'
        con.execute(
            "INSERT INTO care_plans VALUES (?, 1, 'u', 'now', ?)", [known[0]["pseudo_id"], plan]
        )
    care = CareStore(ServiceStore(old), path)
    assert care.migrated == {"caseload": 2, "care_plans": 1}
    assert sorted(care.caseload_people(("CT-DN",))) == sorted(a["person_key"] for a in known)
    assert care.care_plans(known[0]["person_key"])[0]["goals"] == "g"
    with sqlite3.connect(old) as con:
        assert con.execute("SELECT tbl FROM care_unmapped").fetchall() == [("caseload",)]
    assert CareStore(ServiceStore(old), path).caseload_entries(known[1]["person_key"])


def test_a_writer_opens_the_vault_while_lookups_run_without_a_pause(landed):
    """The service's look-ups hold the vault for milliseconds and back off when a writer
    announces itself, so a writer (a load) opening it in another process is never refused."""
    import subprocess
    import sys
    import threading

    from joinedup.identity import vault_lock

    path, answers, _ = landed
    directory = Directory(path)
    keys = [a["person_key"] for a in list(answers.values())[:5]]
    outcomes, stop = {"identities": 0, "busy": 0}, threading.Event()

    def look_up() -> None:
        while not stop.is_set():
            try:
                assert len(directory.identities(keys)) == len(keys)
                outcomes["identities"] += 1
            except VaultBusy:
                outcomes["busy"] += 1

    readers = [threading.Thread(target=look_up) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(5):  # a writer in another process, as a load is: open, write, close
            writer = subprocess.run(
                [sys.executable, "-c", "import sys; from joinedup.identity import Vault;"
                 " v = Vault.open(sys.argv[1], must_exist=True);"
                 " v.con.execute('CREATE OR REPLACE TABLE written (x INT)'); v.close()", str(path)],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert writer.returncode == 0, writer.stderr[-500:]
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert outcomes["identities"] > 10
    assert not vault_lock.writer_waiting(path)
    assert len(directory.identities(keys)) == len(keys)
