"""`python -m sla --help` and its argument errors, exactly as an admin reads them (in-process, 100 columns wide)."""

from __future__ import annotations

import pytest

from sla.cli import main

TOP = """\
usage: python -m sla [-h] [--policy-dir POLICY_DIR]
                     {policies,services,explain,deadlines,classify} ...

``python -m sla``: check a contract's targets, deadlines and classification from the shell.

positional arguments:
  {policies,services,explain,deadlines,classify}
    policies            list policy ids and names
    services            list service ids and display names
    explain             every target of a policy and the clock it runs on
    deadlines           due times of every target for one report
    classify            classify one report (JSON facts on stdin)

options:
  -h, --help            show this help message and exit
  --policy-dir POLICY_DIR
                        also load the policy files in this directory
"""

EXPLAIN = """\
usage: python -m sla explain [-h] [--reading READING] policy

positional arguments:
  policy

options:
  -h, --help         show this help message and exit
  --reading READING  an alternative reading
"""

DEADLINES = """\
usage: python -m sla deadlines [-h] [--policy POLICY] [--priority PRIORITY]
                               [--reported-at REPORTED_AT] [--channel {chat,phone,email}]
                               [--onsite-determined-at ONSITE_DETERMINED_AT] [--reading READING]
                               [--json] [--json-lines]

options:
  -h, --help            show this help message and exit
  --policy POLICY
  --priority PRIORITY
  --reported-at REPORTED_AT
  --channel {chat,phone,email}
  --onsite-determined-at ONSITE_DETERMINED_AT
  --reading READING
  --json                print the result as JSON
  --json-lines          read JSON requests from stdin, one a line
"""

CLASSIFY = """\
usage: python -m sla classify [-h] [--policy POLICY] [--json] [--json-lines]

options:
  -h, --help       show this help message and exit
  --policy POLICY
  --json           print the result as JSON
  --json-lines     read JSON requests from stdin, one a line

report facts (JSON on stdin; every fact may be null = not known):
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[object, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    shown = capsys.readouterr()
    return stopped.value.code, shown.out, shown.err


@pytest.fixture(autouse=True)
def _hundred_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), TOP),
        (("explain",), EXPLAIN),
        (("deadlines",), DEADLINES),
        (
            ("policies",),
            "usage: python -m sla policies [-h]\n\noptions:\n  -h, --help  show this help message and exit\n",
        ),
        (
            ("services",),
            "usage: python -m sla services [-h]\n\noptions:\n  -h, --help  show this help message and exit\n",
        ),
    ],
)
def test_help_names_every_command_and_option_and_says_what_each_does(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    assert run(capsys, *args, "--help") == (0, expected, "")


def test_classify_help_lists_its_options_before_the_facts_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    status, shown, _ = run(capsys, "classify", "--help")
    assert status == 0
    assert shown[: len(CLASSIFY)] == CLASSIFY


@pytest.mark.parametrize(
    ("args", "last_line"),
    [
        ((), "python -m sla: error: the following arguments are required: command"),
        (
            ("deadlines", "--channel", "fax"),
            "python -m sla deadlines: error: argument --channel: invalid choice: 'fax' (choose from 'chat', 'phone', "
            "'email')",
        ),
        (
            ("notify",),
            "python -m sla: error: argument command: invalid choice: 'notify' (choose from 'policies', "
            "'services', 'explain', 'deadlines', 'classify')",
        ),
    ],
)
def test_a_missing_command_or_an_unknown_choice_is_refused_with_usage_and_status_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], last_line: str
) -> None:
    status, shown, err = run(capsys, *args)
    assert (status, shown) == (2, "")
    assert err.startswith("usage: python -m sla") and err.splitlines()[-1] == last_line
