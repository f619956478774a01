"""`python -m sla`, what an admin reads: the tables, the request errors and the JSON-lines answers, exactly, for a
policy built in the test (run in-process through `sla.cli.main`)."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sla import PolicyLibrary, RequestError
from sla.cli import classify_result, deadlines_result, main, run_json_lines
from sla.services import SERVICES

ACME = """id = "acme"
name = "ACME Gold"
version = "2"
source = "contract v2"

[calendars.24x7]
kind = "elapsed"

[calendars.office]
kind = "working"
timezone = "Europe/Berlin"
windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]

[[priorities]]
id = "P1"
name = "Critical"
definition = "all down"
seed = "000:L1"

[targets.P1.first_response]
quote = "within 30 minutes"
seed = "000:L2"
calendar = "24x7"
minutes = 30

[targets.P1.resolution]
rule = "none"
quote = "no resolution target"
seed = "000:L3"
reason = "restoration only"

[targets.P1.restoration]
quote = "within 2 working days"
seed = "000:L4"
calendar = "office"
working_days = 2

[readings.slow]
register = "A1"
description = "a slower first response"
[readings.slow.overlay.targets.P1.first_response]
minutes = 60
"""


def run(tmp_path: Path, *args: str, stdin: str = "") -> tuple[int, list[str], str]:
    (tmp_path / "acme.toml").write_text(ACME, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["--policy-dir", str(tmp_path), *args], io.StringIO(stdin), out)
    return status, out.getvalue().split("\n"), err.getvalue()


def run_shipped(*args: str) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(list(args), io.StringIO(""), out)
    return status, out.getvalue().split("\n"), err.getvalue()


def test_policies_are_a_table_with_a_rule_under_its_heading(tmp_path: Path) -> None:
    status, lines, _ = run(tmp_path, "policies")
    assert status == 0
    width = max(len(pid) for pid in PolicyLibrary.load().ids())
    assert lines[0] == "id".ljust(width) + "  name"
    assert lines[1].startswith("-" * width + "  ---") and set(lines[1]) == {"-", " "}
    assert lines[2] == "acme".ljust(width) + "  ACME Gold"
    assert lines[-1] == "" and all(line == line.rstrip() for line in lines)


EXPLAIN = [
    "ACME Gold (acme, version 2)",
    "Source: contract v2",
    "",
    "Clocks:",
    "  24x7: 24x7, elapsed time (bank holidays included)",
    "  office: Mon\u2013Fri 09:00\u201317:00 Europe/Berlin",
    "",
    "priority  target          allowance                clock   contract               seed",
    "--------  --------------  -----------------------  ------  ---------------------  ------",
    "P1        first_response  30 min                   24x7    within 30 minutes      000:L2",
    "P1        restoration     16 h                     office  within 2 working days  000:L4",
    "P1        resolution      none (restoration only)          no resolution target   000:L3",
    "",
    "Alternative readings (select with --reading NAME):",
    "  slow [A1]: a slower first response",
    "",
]


def test_explain_shows_the_clocks_every_target_and_the_readings_offered(tmp_path: Path) -> None:
    assert run(tmp_path, "explain", "acme") == (0, EXPLAIN, "")


def test_explain_with_a_reading_says_it_is_in_force(tmp_path: Path) -> None:
    status, lines, _ = run(tmp_path, "explain", "acme", "--reading", "slow")
    assert status == 0
    assert lines[:3] == [*EXPLAIN[:2], "Readings in force: slow"]
    assert lines[10] == "P1        first_response  1 h                      24x7    within 30 minutes      000:L2"


def test_deadlines_are_shown_in_utc_and_in_the_policys_own_time_zone(tmp_path: Path) -> None:
    assert run(tmp_path, "deadlines", "--policy", "acme", "--priority", "P1",
               "--reported-at", "2025-12-24T16:45:00+00:00") == (0, [
        "ACME Gold \u2014 P1, reported 2025-12-24T16:45:00Z",
        "",
        "target          due (UTC)             due (Europe/Berlin)",
        "--------------  --------------------  ---------------------------",
        "first_response  2025-12-24T17:15:00Z  Wed 24 Dec 2025 18:15 CET",
        "first_update    no target             the contract sets no target",
        "restoration     2025-12-26T16:00:00Z  Fri 26 Dec 2025 17:00 CET",
        "resolution      no target             restoration only",
        ""], "")


def test_deadlines_of_a_policy_with_only_an_elapsed_clock_are_shown_in_utc(tmp_path: Path) -> None:
    header, rest = ACME.replace('id = "acme"', 'id = "plain"').split("[calendars.office]")
    kept = "[[priorities]]" + rest.split("[[priorities]]")[1].split("[targets.P1.restoration]")[0]
    (tmp_path / "plain.toml").write_text(header + kept, encoding="utf-8")  # its only clock is 24x7, elapsed
    status, lines, _ = run(tmp_path, "deadlines", "--policy", "plain", "--priority", "P1",
                           "--reported-at", "2025-12-24T16:45:00+01:00")
    assert status == 0
    assert lines[2] == "target          due (UTC)             due (UTC)"
    assert lines[4] == "first_response  2025-12-24T16:15:00Z  Wed 24 Dec 2025 16:15 UTC"


def test_a_refused_request_is_one_sentence_on_stderr_with_status_2(tmp_path: Path) -> None:
    assert run(tmp_path, "deadlines", "--policy", "acme", "--reported-at", "2025-12-24T16:45:00+00:00") == (
        2, [""], "error: policy acme has priorities P1; got no priority\n")
    assert run(tmp_path, "classify")[::2] == (2, "error: give --policy (or --json-lines with requests on stdin)\n")
    assert run(tmp_path, "classify", "--policy", "acme", stdin="{\n  nope")[::2] == (
        2, "error: stdin is not valid JSON: Expecting property name enclosed in double quotes at line 2\n")


LIBRARY = PolicyLibrary.load()
KNOWN = ("cloudcti, duocall-legacy-protect, duocall-standard, maintel-icon, vodafone-vone-m, voip-cat1, voip-cat2, "
         "voip-cat4")
EXAMPLE = "reported_at must be ISO-8601 with a UTC offset, e.g. 2025-12-24T16:45:00+00:00"


@pytest.mark.parametrize(("request_", "message"), [
    ([], "each request must be a JSON object"),
    ({"priority": "P1"}, f'send "policy": one of {KNOWN}'),
    ({"policy": 7}, f'send "policy": one of {KNOWN}'),
    ({"policy": "cloudcti", "readings": "lenient"}, "readings must be a list of reading names"),
    ({"policy": "cloudcti", "priority": 1, "reported_at": "2025-01-01T00:00:00Z"},
     'priority must be text such as "P1", or null'),
    ({"policy": "cloudcti", "priority": "P1", "reported_at": 5}, f"{EXAMPLE}; got 5"),
    ({"policy": "cloudcti", "priority": "P1"}, f"{EXAMPLE}; got None"),
    ({"policy": "cloudcti", "priority": "P1", "reported_at": "soon"}, f"{EXAMPLE}; got 'soon'"),
    ({"policy": "cloudcti", "priority": "P1", "reported_at": "2025-01-01T00:00"},
     f"{EXAMPLE}; '2025-01-01T00:00' has no offset"),
    ({"policy": "voip-cat4", "reported_at": "2025-12-24T10:00:00Z", "onsite_determined_at": "later"},
     "onsite_determined_at must be ISO-8601 with a UTC offset, e.g. 2025-12-24T16:45:00+00:00; got 'later'"),
])
def test_a_bad_deadlines_request_says_what_to_send(request_: Any, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        deadlines_result(LIBRARY, request_)
    assert str(caught.value) == message


@pytest.mark.parametrize(("request_", "message"), [
    ([], "each request must be a JSON object"),
    ({"policy": "cloudcti"}, 'send "facts": an object such as {"pct_users_affected": 60}'),
    ({"policy": "cloudcti", "facts": [1]}, 'send "facts": an object such as {"pct_users_affected": 60}'),
    ({"facts": {}}, f'send "policy": one of {KNOWN}'),
])
def test_a_bad_classify_request_says_what_to_send(request_: Any, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        classify_result(LIBRARY, request_)
    assert str(caught.value) == message


def test_a_deadlines_request_defaults_to_chat_and_reads_times_in_any_offset() -> None:
    assert deadlines_result(LIBRARY, {"policy": "maintel-icon", "priority": "P1", "channel": None, "readings": None,
                                      "reported_at": "2025-12-24T10:00:00+01:00"}) == {
        "policy": "maintel-icon", "priority": "P1", "reported_at": "2025-12-24T09:00:00Z",
        "targets": {"first_response": "2025-12-24T09:30:00Z", "first_update": "2025-12-24T10:00:00Z",
                    "restoration": "2025-12-24T13:00:00Z", "resolution": None, "email_acknowledgement": None},
        "no_target": {"resolution": "the contract sets no resolution target, only restoration of service",
                      "email_acknowledgement": "applies only to reports made by email"}}
    by_mail = deadlines_result(LIBRARY, {"policy": "maintel-icon", "priority": "P1", "channel": "email",
                                         "reported_at": "2025-12-24T10:00:00+01:00"})
    assert by_mail["targets"]["email_acknowledgement"] == "2025-12-24T11:00:00Z"


def test_json_lines_skip_blank_lines_and_answer_each_other_line_in_order() -> None:
    out = io.StringIO()
    lines = ["", "  \n", json.dumps({"policy": "cloudcti", "facts": {"security_incident": True}}), "[1,",
             json.dumps({"policy": "x", "facts": {}}), json.dumps({"policy": "cloudcti", "facts": {"é": 1}})]
    status = run_json_lines(LIBRARY, classify_result, lines, out)
    answers = out.getvalue().split("\n")
    assert status == 1 and len(answers) == 5 and answers[-1] == ""
    assert json.loads(answers[0])["policy"] == "cloudcti"
    assert answers[1] == '{"error": "not valid JSON: Expecting value at column 4"}'
    assert answers[2] == json.dumps({"error": f"unknown policy 'x'; known policies: {KNOWN}"})
    assert "\u00e9" in answers[3]  # not escaped: the fact's name as sent


def test_classify_reads_empty_stdin_as_no_facts_and_facts_wrapped_or_bare_alike(tmp_path: Path) -> None:
    empty = run(tmp_path, "classify", "--policy", "cloudcti", "--json")
    bare = run(tmp_path, "classify", "--policy", "cloudcti", "--json", stdin="{}")
    assert empty == bare and empty[0] == 0
    wrapped = run(tmp_path, "classify", "--policy", "cloudcti", "--json",
                  stdin=json.dumps({"facts": {"is_question": True}}))
    assert wrapped == run(tmp_path, "classify", "--policy", "cloudcti", "--json",
                          stdin=json.dumps({"is_question": True}))
    assert wrapped[1][:2] == ["{", '  "policy": "cloudcti",']  # indented by two
    assert json.loads("\n".join(wrapped[1])) != json.loads("\n".join(bare[1]))


def test_services_are_a_table_of_ids_and_display_names_in_the_catalogue_order(tmp_path: Path) -> None:
    status, lines, err = run(tmp_path, "services")
    width = max(len(sid) for sid in SERVICES)
    assert (status, err) == (0, "")
    assert lines[:3] == ["id                 display name", "-" * width + "  " + "-" * 44,
                         "inbound_calls      Inbound calls"]
    assert lines[2:] == [f"{sid.ljust(width)}  {name}" for sid, name in SERVICES.items()] + [""]


ACME_EU = ACME.replace('id = "acme"', 'id = "acme-eu"').replace('reason = "restoration only"',
                                                              'reason = "restoration only \u2014 see \u00a7 4"')
DEADLINES_JSON = """{
  "policy": "acme-eu",
  "priority": "P1",
  "reported_at": "2025-12-24T16:45:00Z",
  "targets": {
    "first_response": "2025-12-24T17:15:00Z",
    "first_update": null,
    "restoration": "2025-12-26T16:00:00Z",
    "resolution": null
  },
  "no_target": {
    "resolution": "restoration only \u2014 see \u00a7 4",
    "first_update": "the contract sets no target"
  }
}
"""


@pytest.fixture(params=["UTC", "Pacific/Auckland"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The zone of the machine the command runs on (TZ), which must not show in what it prints."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_deadlines_as_json_are_indented_in_utc_whatever_the_machines_zone_with_text_as_written(
        tmp_path: Path, machine_zone: str) -> None:
    (tmp_path / "acme-eu.toml").write_text(ACME_EU, encoding="utf-8")
    status, lines, err = run(tmp_path, "deadlines", "--policy", "acme-eu", "--priority", "P1",
                             "--reported-at", "2025-12-24T17:45:00+01:00", "--json")
    assert (status, "\n".join(lines), err) == (0, DEADLINES_JSON, "")


def test_deadlines_without_a_priority_say_so_in_the_heading() -> None:
    status, lines, _ = run_shipped("deadlines", "--policy", "voip-cat1", "--reported-at", "2025-11-24T09:00:00Z")
    assert status == 0
    assert lines[:2] == ["Asterisk/VoIP support \u2014 Cat1 \u2014 no priority, reported 2025-11-24T09:00:00Z", ""]
    assert lines[-3:] == ["restoration     no target             no overall times can be guaranteed",
                          "resolution      no target             no overall times can be guaranteed", ""]


def test_deadlines_are_for_chat_unless_another_channel_is_given() -> None:
    report = ("deadlines", "--policy", "maintel-icon", "--priority", "P1", "--reported-at",
              "2025-12-24T10:00:00+01:00")
    unsaid, chat, email = run_shipped(*report), run_shipped(*report, "--channel", "chat"), run_shipped(
        *report, "--channel", "email")
    assert unsaid == chat != email
    assert unsaid[1][-2] == "email_acknowledgement  no target             applies only to reports made by email"
    assert email[1][-2] == "email_acknowledgement  2025-12-24T11:00:00Z  Wed 24 Dec 2025 11:00 GMT"


def test_explain_names_every_reading_in_force() -> None:
    status, lines, _ = run_shipped("explain", "cloudcti", "--reading", "24h_on_working_days",
                                   "--reading", "good_friday_is_a_working_day")
    assert status == 0
    assert lines[2] == "Readings in force: 24h_on_working_days, good_friday_is_a_working_day"


def test_a_deadlines_request_without_a_priority_takes_the_targets_of_its_category() -> None:
    request = {"policy": "vodafone-vone-m", "priority": None, "reported_at": "2025-12-24T10:00:00Z"}
    out = io.StringIO()
    status = run_json_lines(LIBRARY, deadlines_result, [json.dumps({**request, "category": "service_request"}),
                                                        json.dumps(request)], out)
    service_request, incident = map(json.loads, out.getvalue().splitlines())
    reason = "a Service Request is not an Incident and carries no incident target"
    assert status == 1
    assert service_request["no_target"] == dict.fromkeys(("first_response", "first_update", "restoration",
                                                          "resolution"), reason)
    assert incident == {"error": "policy vodafone-vone-m has priorities P1, P2, P3, P4; got no priority"}


def test_a_line_that_is_not_json_alone_makes_the_status_1() -> None:
    out = io.StringIO()
    assert run_json_lines(LIBRARY, deadlines_result, ["{not json"], out) == 1
    assert out.getvalue() == '{"error": "not valid JSON: Expecting property name enclosed in double quotes at ' \
                             'column 2"}\n'
