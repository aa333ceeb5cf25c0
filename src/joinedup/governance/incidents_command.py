"""`joinedup incidents record|action|report|close|list --log FILE`: the IG lead's incident log."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from joinedup.arguments import iso_date
from joinedup.governance.incidents import IncidentLog


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    today = dt.date.today()

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--log", type=Path, required=True, help="the incident log (JSON lines)")
        return p

    p = add("record", "record a suspected breach; prints its reporting deadline")
    p.add_argument("--what", required=True, help="what happened, without identifiers")
    p.add_argument(
        "--found", type=iso_date, default=today, help="day it was found (default today)"
    )
    p.add_argument(
        "--people", type=int, required=True, help="how many people are affected (a count)"
    )
    for name, help_text, text_flag, text_help in (
        ("action", "record an action taken", "--text", "the action"),
        ("report", "record that the breach was reported", "--to", "to whom (e.g. ICO, DSPT)"),
        ("close", "close an incident", "--outcome", "the outcome"),
    ):
        p = add(name, help_text)
        p.add_argument("--id", type=int, required=True)
        p.add_argument("--on", type=iso_date, default=today, help="default today")
        p.add_argument(text_flag, required=True, help=text_help)
    p = add("list", "every incident with its deadline; overdue ones marked")
    p.add_argument("--as-of", type=iso_date, default=today, help="the day to judge overdue by")
    p.add_argument("--overdue", action="store_true", help="only overdue incidents")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    log = IncidentLog(args.log)
    if args.action == "list":
        return _list(log, args)
    if args.action == "record":
        incident = log.record(args.what, args.found, args.people)
        print(f"incident {incident.id} recorded; report by {incident.deadline} (10 working days)")
        return 0
    change = {"action": lambda: log.action(args.id, args.on, args.text),
              "report": lambda: log.reported(args.id, args.on, args.to),
              "close": lambda: log.close(args.id, args.on, args.outcome)}  # fmt: skip
    incident = change[args.action]()
    print(f"incident {incident.id}: {args.action} recorded")
    return 0


def _list(log: IncidentLog, args: argparse.Namespace) -> int:
    rows = [
        i.as_dict(args.as_of) for i in log.incidents() if not args.overdue or i.overdue(args.as_of)
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "closed" if row["closed"] else "OVERDUE" if row["overdue"] else "open"
        reported = f", reported {row['reported']}" if row["reported"] else ""
        print(f"{row['id']:>4}  {state:<8} found {row['found']}  deadline {row['deadline']}"
              f"{reported}  people {row['people_affected']}  {row['what']}")  # fmt: skip
    if not rows:
        print("no incidents")
    return 0
