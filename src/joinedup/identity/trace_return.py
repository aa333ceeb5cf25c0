"""The NHS number for the council (the BCF condition: the NHS number as the primary identifier in
correspondence).

For the organisation's records that arrived without a valid NHS number and that linkage matched
to a person whose NHS number the vault knows, one CSV row: the sender's own person id
(`la_person_id`) and the NHS number. Read from the vault only; the run is audited (count only).
This module handles identifiable values: it writes them to the output file and nowhere
else.
"""

from __future__ import annotations

import csv
import getpass
import os
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.governance.audit import AuditLog
from joinedup.governance.register import load_register
from joinedup.identity.vault import Vault


def trace_return(
    vault_path: Path, register_path: Path, org: str, out: Path, audit_path: Path
) -> int:
    """Write the CSV of `org`'s records (owner-only) and audit the run; how many rows."""
    register = load_register(register_path)
    organisation = register.organisations.get(org)
    if organisation is None:
        raise BadInput(f"--org {org}: no organisation with this code in the register")
    feeds = list(organisation.feeds)
    if not feeds:
        raise BadInput(f"--org {org}: the register names no feed this organisation sends")
    with Vault.open(vault_path, must_exist=True, key_file=register.vault_key_file) as vault:
        rows = vault.traced_nhs_numbers(feeds)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["la_person_id", "nhs_number"])
        writer.writerows(rows)
    log = AuditLog(audit_path, register.sha256)
    log.append(user=f"cli:{getpass.getuser()}", organisation=org, tier="I",
               purpose="direct_care", action="trace-return", resource=f"org {org}",
               count=len(rows), decision="allow", rule="trace_return:from_the_vault")  # fmt: skip
    log.close()
    return len(rows)
