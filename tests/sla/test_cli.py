"""`python -m sla` as an admin uses it: its arguments, stdin, stdout, stderr and exit status.

The commands run in-process through `sla.cli.main` (so mutation testing sees the code they run); a real process
gives the same output, status and errors (`test_a_real_process_answers_as_the_in_process_run_does`)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sla.cli import main


def sla(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(list(args), io.StringIO(stdin), out)
    return subprocess.CompletedProcess(list(args), status, out.getvalue(), err.getvalue())


def sla_process(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sla", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize(("args", "stdin"), [
    (("policies",), ""),
    (("classify", "--policy", "maintel-icon", "--json"), json.dumps({"services_affected": ["inbound_calls"]})),
    (("explain", "acme"), ""),
    (("deadlines", "--json-lines"), "{not json\n"),
])
def test_a_real_process_answers_as_the_in_process_run_does(args: tuple[str, ...], stdin: str) -> None:
    real, in_process = sla_process(*args, stdin=stdin), sla(*args, stdin=stdin)
    assert (real.returncode, real.stdout, real.stderr) == (in_process.returncode, in_process.stdout,
                                                           in_process.stderr)


def test_policies_lists_ids_and_names() -> None:
    out = sla("policies")
    assert out.returncode == 0
    assert "maintel-icon" in out.stdout and "Maintel ICON Teams Connector" in out.stdout
    assert len([line for line in out.stdout.splitlines() if line.startswith(("maintel", "voip", "duo", "cloud",
                                                                              "vodafone"))]) == 8


def test_services_lists_every_service_id_with_its_display_name() -> None:
    out = sla("services")
    assert out.returncode == 0
    assert "elin               Emergency calling (ELIN)" in out.stdout.splitlines()


def test_explain_shows_each_target_and_its_clock() -> None:
    out = sla("explain", "vodafone-vone-m")
    assert out.returncode == 0
    assert "Mon–Fri 09:00–17:00 Europe/London, closed on GB-ENG public holidays" in out.stdout
    row = next(line for line in out.stdout.splitlines() if line.startswith("P4") and "resolution" in line)
    assert "7 calendar days" in row and "004:L47" in row
    assert "whole_hours_measurement [A7]" in out.stdout


def test_deadlines_human_readable_shows_local_time() -> None:
    out = sla("deadlines", "--policy", "duocall-standard", "--priority", "P1",
              "--reported-at", "2025-12-24T16:45:00+00:00")
    assert out.returncode == 0
    assert "first_response  2025-12-29T11:45:00Z  Mon 29 Dec 2025 11:45 GMT" in out.stdout


def test_deadlines_json() -> None:
    out = sla("deadlines", "--policy", "maintel-icon", "--priority", "P1", "--reported-at",
              "2025-12-24T16:45:00+00:00", "--channel", "email", "--json")
    result = json.loads(out.stdout)
    assert result == {
        "policy": "maintel-icon", "priority": "P1", "reported_at": "2025-12-24T16:45:00Z",
        "targets": {"first_response": "2025-12-24T17:15:00Z", "first_update": "2025-12-24T17:45:00Z",
                    "restoration": "2025-12-24T20:45:00Z", "resolution": None,
                    "email_acknowledgement": "2025-12-24T18:45:00Z"},
        "no_target": {"resolution": "the contract sets no resolution target, only restoration of service"},
    }


def test_deadlines_onsite_option() -> None:
    out = sla("deadlines", "--policy", "voip-cat4", "--reported-at", "2025-12-24T10:00:00+00:00",
              "--onsite-determined-at", "2025-12-24T15:00:00+00:00", "--json")
    assert json.loads(out.stdout)["targets"]["onsite"] == "2025-12-25T15:00:00Z"


def test_deadlines_with_a_reading() -> None:
    out = sla("deadlines", "--policy", "cloudcti", "--priority", "P3", "--reported-at",
              "2025-11-18T20:00:00+01:00", "--reading", "24h_on_working_days", "--json")
    assert json.loads(out.stdout)["targets"]["first_response"] == "2025-11-19T19:00:00Z"


def test_deadlines_json_lines_keeps_order_and_reports_bad_lines() -> None:
    lines = [
        {"policy": "cloudcti", "priority": "P2", "reported_at": "2025-12-24T08:30:00+01:00"},
        {"policy": "nope", "priority": "P1", "reported_at": "2025-12-24T08:30:00+01:00"},
        {"policy": "voip-cat1", "priority": None, "reported_at": "2025-11-24T09:00:00Z"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n" + json.dumps(
        {"policy": "maintel-icon", "priority": "P1", "reported_at": "yesterday"}) + "\n"
    out = sla("deadlines", "--json-lines", stdin=stdin)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1
    assert len(results) == 5
    assert results[0]["targets"]["resolution"] == "2025-12-30T16:00:00Z"
    assert "unknown policy 'nope'" in results[1]["error"]
    assert results[2]["targets"]["first_response"] == "2025-11-24T17:00:00Z"
    assert "not valid JSON" in results[3]["error"]
    assert "e.g. 2025-12-24T16:45:00+00:00" in results[4]["error"]


def test_json_lines_all_good_exits_zero() -> None:
    stdin = json.dumps({"policy": "maintel-icon", "priority": "P2", "reported_at": "2025-01-01T00:00:00Z"})
    out = sla("deadlines", "--json-lines", stdin=stdin + "\n")
    assert out.returncode == 0 and json.loads(out.stdout)["targets"]["first_response"] == "2025-01-01T01:00:00Z"


def test_classify_json_from_stdin() -> None:
    out = sla("classify", "--policy", "maintel-icon", "--json",
              stdin=json.dumps({"services_affected": ["inbound_calls"], "pct_users_affected": 60}))
    assert json.loads(out.stdout) == {
        "policy": "maintel-icon", "category": "incident", "priority": "P1",
        "rules": [{"id": "maintel.p1.users",
                   "quote": "50% or more of users, trunks, or voicemail boxes not available",
                   "seed": "000:L33"}],
        "undecided": ["impact"],
    }


def test_classify_readable() -> None:
    out = sla("classify", "--policy", "cloudcti", stdin=json.dumps({"services_affected": ["inbound_calls"]}))
    assert out.stdout.startswith("not_applicable, priority none")
    assert "shortcoming in the CloudCTI software" in out.stdout


def test_classify_json_lines() -> None:
    stdin = "\n".join([
        json.dumps({"policy": "vodafone-vone-m", "facts": {"security_incident": True}}),
        json.dumps({"policy": "vodafone-vone-m", "facts": {"pct_users_affected": 300}}),
        json.dumps({"policy": "voip-cat2", "facts": {"services_affected": ["voicemail"]}}),
    ])
    out = sla("classify", "--json-lines", stdin=stdin)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1
    assert results[0]["priority"] == "P1" and results[0]["rules"][0]["id"] == "vodafone.p1.c.security"
    assert "percentage from 0 to 100" in results[1]["error"]
    assert results[2] == {"policy": "voip-cat2", "category": "no_priority_scheme", "priority": None,
                          "rules": results[2]["rules"], "undecided": []}


@pytest.mark.parametrize(("args", "message"), [
    (["deadlines", "--policy", "maintel-icon"],
     "give --policy and --reported-at (or --json-lines with requests on stdin)"),
    (["deadlines", "--reported-at", "2025-01-01T10:00:00Z"],
     "give --policy and --reported-at (or --json-lines with requests on stdin)"),
    (["deadlines", "--policy", "maintel-icon", "--priority", "P1", "--reported-at", "2025-01-01T10:00"],
     "reported_at must be ISO-8601 with a UTC offset, e.g. 2025-12-24T16:45:00+00:00; '2025-01-01T10:00' has no "
     "offset"),
    (["explain", "acme"], "unknown policy 'acme'; known policies: cloudcti, duocall-legacy-protect, "
                          "duocall-standard, maintel-icon, vodafone-vone-m, voip-cat1, voip-cat2, voip-cat4"),
])
def test_cli_errors_are_sentences_on_stderr(args: list[str], message: str) -> None:
    out = sla(*args)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", f"error: {message}\n")


def test_policy_dir_with_a_bad_file_names_file_and_key(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "sla" / "policies" / "voip-cat1.toml"
    text = shipped.read_text(encoding="utf-8").replace('id = "voip-cat1"', 'id = "acme-gold"')
    (tmp_path / "acme-gold.toml").write_text(text.replace('calendar = "nine_to_five"', 'calendar = "office"', 1))
    out = sla("--policy-dir", str(tmp_path), "policies")
    assert out.returncode == 2
    assert f"{tmp_path / 'acme-gold.toml'}: targets.unprioritised.first_response.calendar: no calendar 'office'" \
        in out.stderr


def test_policy_dir_adds_an_msps_own_policy(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "sla" / "policies" / "voip-cat1.toml"
    text = shipped.read_text(encoding="utf-8").replace('id = "voip-cat1"', 'id = "acme-gold"')
    (tmp_path / "acme-gold.toml").write_text(text.replace('name = "Asterisk/VoIP support — Cat1"',
                                                          'name = "ACME Gold"'))
    out = sla("--policy-dir", str(tmp_path), "policies")
    assert out.returncode == 0 and "acme-gold               ACME Gold" in out.stdout
