"""The `joinedup` command line. Each command lives beside the stage it drives and exposes
`configure(parser)` and `run(args) -> int`; this module only wires them together and turns
user errors into one clear line and a documented exit code (see errors.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from joinedup import __version__
from joinedup.errors import UserError

# command name -> (module with configure/run, one-line help). Modules are imported lazily so that
# `joinedup --help` stays fast and optional engines are only loaded when used.
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("joinedup.synth.command", "generate a synthetic area's feeds and its ground truth"),
    "calibrate": ("joinedup.synth.calibrate_command", "compare a generated area with the published figures"),
    "load": ("joinedup.landing.load_command", "land an area's feed files: validate, quarantine, link, pseudonymise"),
    "lineage": ("joinedup.landing.lineage_command", "vault-side: the sender's file and line of every landed row, with its pseudo_id"),
    "quality": ("joinedup.landing.quality_command", "what landing did with every row: read, rejected, linked"),
    "marts": ("joinedup.marts.command", "build the person timeline and Year of Care cost marts"),
    "budgets": ("joinedup.marts.budgets_command", "Year of Care capitated budgets by locality and practice against actual spend"),
    "parquet": ("joinedup.engine.command", "write a warehouse or vault as a Parquet folder (one per table) for --engine spark"),
    "metrics": ("joinedup.metrics.command", "compute the BCF and local metrics (JSON or CSV), optionally disclosure-controlled"),
    "trace-return": ("joinedup.identity.trace_return_command", "the NHS number for a sender's records that arrived without one, from the vault (audited)"),
    "review": ("joinedup.identity.review_command", "list held linkage pairs; accept or reject one"),
    "rotate-key": ("joinedup.identity.rotate_command", "new pseudonymisation key; re-key every pseudo_id"),
    "vault-key": ("joinedup.identity.vault_key_command", "encryption at rest of the vault and its key files: encrypt, rotate the key, status"),
    "risk": ("joinedup.risk.cli", "risk stratification: train, evaluate, score, case-finding lists"),
    "report": ("joinedup.report.command", "the board report: one self-contained, disclosure-controlled HTML file"),
    "incidents": ("joinedup.governance.incidents_command", "the incident log: record a suspected breach, its 10-working-day deadline, actions, closure"),
    "retention": ("joinedup.governance.retention_command", "list or destroy what the register's retention periods have expired, with a destruction record"),
    "records": ("joinedup.governance.records_command", "the data-flow register (CSV) and the fair processing notice (printable HTML)"),
    "annual-report": ("joinedup.governance.annual_command", "the CAG annual report for a financial year (HTML and JSON) from the system's own records"),
    "plan": ("joinedup.plan.command", "check a BCF plan file (trajectories, schemes, pooled budget) and print it"),
    "evaluate": ("joinedup.evaluation.command", "evaluate a scheme: matched comparison, difference-in-differences, naive before/after"),
    "return": ("joinedup.plan.return_command", "the BCF quarterly return workbook (.xlsx): metrics, finance, benefits"),
    "accounts": ("joinedup.service.accounts", "the service's accounts: set a password, disable, list"),
    "caseload": ("joinedup.service.care_caseload", "a user accepts the first people of their worklist onto a team's caseload (as the worklist page does; audited)"),
    "audit": ("joinedup.governance.audit_command", "the audit log: verify its hash chain"),
    "serve": ("joinedup.service.serve", "the web service for tiers A and P, under the governance register"),
}

EPILOG = """exit codes: 0 success; 1 internal error; 2 bad command line; 3 bad input;
4 a check failed; 5 warehouse or vault problem"""


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command; only the selected command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="joinedup",
        description="Joined-up health and social care intelligence for Health and Wellbeing Boards.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"joinedup {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if name == selected:
            module = importlib.import_module(module_name)
            module.configure(command)
            command.set_defaults(_run=module.run)
    return parser


def _selected_command(argv: list[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_selected_command(argv)).parse_args(argv)
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # inside the guard: a closed pipe shows up here, not at exit
        return code
    except UserError as error:
        print(f"joinedup {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"joinedup {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
