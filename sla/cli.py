"""``python -m sla``: check a contract's targets, deadlines and classification from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sla.calendars import WallClockCalendar, WorkingCalendar
from sla.classify import Classification, classify, facts_from_mapping
from sla.deadlines import Deadlines, deadlines
from sla.errors import RequestError, SlaError
from sla.explain import describe_calendar, explain_rows
from sla.fact_docs import facts_help
from sla.loader import PolicyLibrary
from sla.model import CHANNELS, Policy
from sla.services import SERVICES

Handler = Callable[[PolicyLibrary, Mapping[str, Any]], dict[str, Any]]


def iso_z(t: datetime | None) -> str | None:
    """ISO-8601 in UTC with a trailing Z (None stays None)."""
    return None if t is None else _utc_z(t)


def _utc_z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(value: Any, name: str) -> datetime:
    """An aware datetime from ISO-8601 text; the error shows an example."""
    example = f"{name} must be ISO-8601 with a UTC offset, e.g. 2025-12-24T16:45:00+00:00"
    if not isinstance(value, str):
        raise RequestError(f"{example}; got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RequestError(f"{example}; got {value!r}") from None
    if parsed.tzinfo is None:
        raise RequestError(f"{example}; {value!r} has no offset")
    return parsed


# -- request → result (shared by the single and the JSON-lines forms) ------------------------------
def _policy(library: PolicyLibrary, request: Mapping[str, Any]) -> Policy:
    policy_id = request.get("policy")
    if not isinstance(policy_id, str):
        raise RequestError("send \"policy\": one of " + ", ".join(library.ids()))
    readings = request.get("readings") or ()
    if not isinstance(readings, list | tuple):
        raise RequestError("readings must be a list of reading names")
    return library.get(policy_id, readings)


def deadlines_result(library: PolicyLibrary, request: Mapping[str, Any]) -> dict[str, Any]:
    """Answer one deadlines request (JSON shape in, JSON shape out)."""
    return deadlines_json(_deadlines_for(library, request)[1])


def _deadlines_for(library: PolicyLibrary, request: Mapping[str, Any]) -> tuple[Policy, Deadlines]:
    if not isinstance(request, Mapping):
        raise RequestError("each request must be a JSON object")
    policy = _policy(library, request)
    priority = request.get("priority")
    if priority is not None and not isinstance(priority, str):
        raise RequestError("priority must be text such as \"P1\", or null")
    onsite = request.get("onsite_determined_at")
    result = deadlines(
        policy, priority, parse_instant(request.get("reported_at"), "reported_at"),
        channel=request.get("channel") or "chat",
        onsite_determined_at=parse_instant(onsite, "onsite_determined_at") if onsite else None,
        category=request.get("category"),
    )
    return policy, result


def deadlines_json(result: Deadlines) -> dict[str, Any]:
    return {
        "policy": result.policy,
        "priority": result.priority,
        "reported_at": iso_z(result.reported_at),
        "targets": {name: iso_z(due) for name, due in result.targets.items()},
        "no_target": dict(result.no_target),
    }


def classify_result(library: PolicyLibrary, request: Mapping[str, Any]) -> dict[str, Any]:
    """Answer one classification request."""
    if not isinstance(request, Mapping):
        raise RequestError("each request must be a JSON object")
    facts = request.get("facts")
    if not isinstance(facts, Mapping):
        raise RequestError("send \"facts\": an object such as {\"pct_users_affected\": 60}")
    return classification_json(classify(_policy(library, request), facts_from_mapping(facts)))


def classification_json(result: Classification) -> dict[str, Any]:
    return {
        "policy": result.policy,
        "category": result.category,
        "priority": result.priority,
        "rules": [{"id": r.id, "quote": r.quote, "seed": r.seed} for r in result.rules],
        "undecided": list(result.undecided),
    }


def run_json_lines(library: PolicyLibrary, handler: Handler, lines: Iterable[str], out: TextIO) -> int:
    """One JSON result per request line, in order; a bad line gets {"error": …} and exit status 1."""
    status = 0
    dumps = json.dumps
    for line in lines:
        if not line.strip():
            continue
        try:
            result = handler(library, json.loads(line))
        except json.JSONDecodeError as exc:
            result, status = {"error": f"not valid JSON: {exc.msg} at column {exc.colno}"}, 1
        except SlaError as exc:
            result, status = {"error": str(exc)}, 1
        out.write(dumps(result, ensure_ascii=False) + "\n")
    return status


# -- human-readable output ------------------------------------------------------------------
def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _local_zone(policy: Policy) -> Any:
    for calendar in policy.calendars.values():
        if isinstance(calendar, WorkingCalendar | WallClockCalendar):
            return calendar.tz
    return UTC


def print_deadlines(policy: Policy, result: Deadlines, out: TextIO) -> None:
    zone = _local_zone(policy)
    out.write(f"{policy.name} — {result.priority or 'no priority'}, reported {iso_z(result.reported_at)}\n\n")
    rows = [["target", "due (UTC)", f"due ({getattr(zone, 'key', 'UTC')})"]]
    for name, due in result.targets.items():
        if due is None:
            rows.append([name, "no target", result.no_target[name]])  # deadlines() gives every one a reason
        else:
            rows.append([name, _utc_z(due), due.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")])
    _table(rows, out)


def print_explain(policy: Policy, out: TextIO) -> None:
    out.write(f"{policy.name} ({policy.id}, version {policy.version})\nSource: {policy.source}\n")
    if policy.readings:
        out.write(f"Readings in force: {', '.join(policy.readings)}\n")
    out.write("\nClocks:\n")
    for name, calendar in policy.calendars.items():
        out.write(f"  {name}: {describe_calendar(calendar)}\n")
    out.write("\n")
    _table([["priority", "target", "allowance", "clock", "contract", "seed"], *explain_rows(policy)], out)
    if policy.readings_available:
        out.write("\nAlternative readings (select with --reading NAME):\n")
        for reading in policy.readings_available.values():
            out.write(f"  {reading.name} [{reading.register}]: {reading.description}\n")


# -- argument parsing ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sla", description=__doc__)
    parser.add_argument("--policy-dir", type=Path, help="also load the policy files in this directory")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("policies", help="list policy ids and names")
    commands.add_parser("services", help="list service ids and display names")
    explain = commands.add_parser("explain", help="every target of a policy and the clock it runs on")
    explain.add_argument("policy")
    explain.add_argument("--reading", action="append", default=[], help="an alternative reading")
    dl = commands.add_parser("deadlines", help="due times of every target for one report")
    dl.add_argument("--policy")
    dl.add_argument("--priority")
    dl.add_argument("--reported-at")
    dl.add_argument("--channel", choices=CHANNELS)  # none given: the request's default, chat
    dl.add_argument("--onsite-determined-at")
    dl.add_argument("--reading", action="append")
    dl.add_argument("--json", action="store_true", help="print the result as JSON")
    dl.add_argument("--json-lines", action="store_true", help="read JSON requests from stdin, one a line")
    cl = commands.add_parser("classify", help="classify one report (JSON facts on stdin)", epilog=facts_help(),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    cl.add_argument("--policy")
    cl.add_argument("--json", action="store_true", help="print the result as JSON")
    cl.add_argument("--json-lines", action="store_true", help="read JSON requests from stdin, one a line")
    return parser


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    stdin, out = stdin or sys.stdin, stdout or sys.stdout
    try:
        library = PolicyLibrary.load(args.policy_dir)
        return _COMMANDS[args.command](library, args, stdin, out)
    except SlaError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def _policies(library: PolicyLibrary, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    _table([["id", "name"], *([pid, library.get(pid).name] for pid in library.ids())], out)
    return 0


def _services(library: PolicyLibrary, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    _table([["id", "display name"], *([sid, name] for sid, name in SERVICES.items())], out)
    return 0


def _explain(library: PolicyLibrary, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    print_explain(library.get(args.policy, args.reading), out)
    return 0


def _deadlines(library: PolicyLibrary, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    if args.json_lines:
        return run_json_lines(library, deadlines_result, stdin, out)
    if not args.policy or not args.reported_at:
        raise RequestError("give --policy and --reported-at (or --json-lines with requests on stdin)")
    request = {"policy": args.policy, "priority": args.priority, "reported_at": args.reported_at,
               "channel": args.channel, "onsite_determined_at": args.onsite_determined_at,
               "readings": args.reading}
    policy, result = _deadlines_for(library, request)
    if args.json:
        out.write(json.dumps(deadlines_json(result), indent=2, ensure_ascii=False) + "\n")
    else:
        print_deadlines(policy, result, out)
    return 0


def _classify(library: PolicyLibrary, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    if args.json_lines:
        return run_json_lines(library, classify_result, stdin, out)
    if not args.policy:
        raise RequestError("give --policy (or --json-lines with requests on stdin)")
    try:
        facts = json.loads(stdin.read() or "{}")
    except json.JSONDecodeError as exc:
        raise RequestError(f"stdin is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    facts = facts.get("facts", facts) if isinstance(facts, dict) else facts
    result = classify_result(library, {"policy": args.policy, "facts": facts})
    if args.json:
        out.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return 0
    out.write(f"{result['category']}, priority {result['priority'] or 'none'}\n")
    for rule in result["rules"]:
        out.write(f"  because \u201c{rule['quote']}\u201d ({rule['seed']}; rule {rule['id']})\n")
    if result["undecided"]:
        out.write(f"  would change with: {', '.join(result['undecided'])} (not known)\n")
    return 0


_COMMANDS: dict[str, Callable[[PolicyLibrary, argparse.Namespace, TextIO, TextIO], int]] = {
    "policies": _policies,
    "services": _services,
    "explain": _explain,
    "deadlines": _deadlines,
    "classify": _classify,
}
