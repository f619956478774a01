"""The edge's pure pieces: nesting depth on raw bytes, id and text rules, service URLs, the activity model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.edge.depth import nests_deeper_than
from bot.edge.inbound import Malformed, parse_activity
from bot.edge.text import clean_json, clean_text, is_opaque_id, service_url_problem
from tests.bot.fakes import activity

SERVICE = "https://smba.trafficmanager.net/emea/"


@pytest.mark.parametrize(("raw", "limit", "deeper"), [
    (b"{}", 1, False),
    (b"[[]]", 1, True),
    (b'{"a": {"b": [1, {"c": 2}]}}', 4, False),
    (b'{"a": {"b": [1, {"c": 2}]}}', 3, True),
    (b'{"text": "[[[[[[[[[[ {{{{{{{{"}', 1, False),  # brackets inside strings do not nest
    (b'{"text": "a \\" [[[[[[[[ \\\\"}', 1, False),  # escaped quotes do not end the string
    (b'["\\\\", [[[[]]]]]', 4, True),  # an escaped backslash does end it
    (b"[" * 5000, 32, True),
    (b"[]" * 5000, 1, False),
])
def test_nesting_depth_is_measured_on_the_raw_bytes(raw: bytes, limit: int, deeper: bool) -> None:
    assert nests_deeper_than(raw, limit) is deeper


def test_an_unterminated_string_of_escaped_quotes_is_scanned_in_linear_time() -> None:
    # Each quote would restart a naive string match: 100,000 of them would take minutes.
    assert nests_deeper_than(b"[" * 40 + b'"' + b'\\"' * 100_000, 32) is True


@pytest.mark.parametrize(("raw", "clean"), [
    ("plain text", "plain text"),
    ("nul\x00 here", "nul here"),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("tabs\tand\nlines\r stay", "tabs\tand\nlines\r stay"),
    ("bell\x07 and delete\x7f", "bell and delete"),
    ("émoji 🙂 stays", "émoji 🙂 stays"),
])
def test_free_text_is_cleaned_not_refused(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_card_data_is_cleaned_throughout() -> None:
    assert clean_json({"k\x00": ["a\ud800", {"b": "c\x00"}], "n": 3}) == {"k": ["a\ufffd", {"b": "c"}], "n": 3}


@pytest.mark.parametrize(("value", "ok"), [
    ("a:1Xz-_=+/.;@", True), ("19:abc@thread.tacv2;messageid=1700000000000", True), ("ünïcode", True),
    ("", False), ("   ", False), ("nul\x00", False), ("line\nbreak", False), ("lone\udc00", False),
])
def test_ids_are_opaque_but_free_of_control_characters(value: str, ok: bool) -> None:
    assert is_opaque_id(value) is ok


@pytest.mark.parametrize(("url", "ok"), [
    ("https://smba.trafficmanager.net/emea/", True),
    ("https://smba.trafficmanager.net:443/amer/", True),
    ("http://127.0.0.1:3979/", True), ("http://localhost:3979", True), ("http://[::1]:80/", True),
    ("http://127.8.9.10/", True),
    ("http://smba.trafficmanager.net/emea/", False), ("http://10.0.0.1/", False), ("http://[::2]/", False),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False), ("ftp://127.0.0.1/", False),
    ("https://user:pw@smba.trafficmanager.net/", False), ("https://", False), ("https://host:99999/", False),
    ("https://smba\x00.net/", False), ("https://smba .net/", False), ("\x00", False), ("", False),
    ("http://127.0.0.1.evil.example/", False),
    ("https://a..b/", False), ("https://.../", False), ("https://" + "a" * 70 + ".com/", False),
    ("https://1.2.3.4.5/", False), ("https://ü.example/", False), ("https://a_b.example/", False),
    ("https://-a.example/", False), ("https://%00/", False), ("https://xn--bcher-kva.example/", True),
    ("https://smba.trafficmanager.net./", False),
])
def test_service_urls_must_be_https_or_loopback_http(url: str, ok: bool) -> None:
    assert (service_url_problem(url) is None) is ok


def _parse(body: Any) -> Any:
    return parse_activity(json.dumps(body).encode())


def test_a_teams_activity_is_accepted_and_only_the_fields_read_are_forwarded() -> None:
    body = activity(service_url=SERVICE, text="hi", attachments=[{"contentType": 5}], timestamp=[1],
                    suggestedActions="odd")
    checked = _parse(body)
    forwarded = checked.forward()
    assert checked.tenant == body["channelData"]["tenant"]["id"]
    assert forwarded["from"] == body["from"] and forwarded["text"] == "hi"
    assert not {"attachments", "timestamp", "suggestedActions"} & set(forwarded)


@pytest.mark.parametrize(("change", "where"), [
    ({"type": 5}, "type"),
    ({"id": "a\x00b"}, "id"),
    ({"id": "x" * 513}, "id"),
    ({"serviceUrl": "javascript:alert(1)"}, "serviceUrl"),
    ({"serviceUrl": "\x00"}, "serviceUrl"),
    ({"serviceUrl": None}, "serviceUrl"),
    ({"channelData": {"tenant": {"id": ["a", "b"]}}}, "channelData.tenant.id"),
    ({"conversation": {"id": "a:1", "tenantId": ["a"]}}, "conversation.tenantId"),
    ({"conversation": "a:1"}, "conversation"),
    ({"from": {"id": 5}}, "from.id"),
    ({"from": {"id": "29:x", "name": "n" * 257}}, "from.name"),
    ({"text": ["hello"]}, "text"),
    ({"value": "submit"}, "value"),
    ({"value": {"faultline": ["report.start"]}}, "faultline"),
    ({"entities": {"type": "mention"}}, "entities"),
    ({"entities": [{"type": "mention", "text": "<at>x</at>"}]}, "entities.0"),
    ({"membersAdded": [{"name": "no id"}]}, "membersAdded.0.id"),
    ({"localTimezone": {"zone": "UTC"}}, "localTimezone"),
])
def test_malformed_fields_are_named_in_the_reason(change: dict[str, Any], where: str) -> None:
    with pytest.raises(Malformed) as refused:
        _parse({**activity(service_url=SERVICE, text="hi"), **change})
    assert where in refused.value.reason


@pytest.mark.parametrize("value", [
    None, "x", {"action": "refresh"}, {"action": {"verb": 5}}, {"action": {"verb": "x", "data": [1]}},
])
def test_a_card_action_invoke_must_carry_an_action(value: Any) -> None:
    body = activity("invoke", service_url=SERVICE, name="adaptiveCard/action", value=value)
    with pytest.raises(Malformed):
        _parse(body)


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"{nope", b"\xff\xfe\x00", b'{"n": NaN}', b'{"n": 1e999}',
                                 b'{"n": ' + b"9" * 5000 + b"}", b'{"a":' * 40 + b"1" + b"}" * 40])
def test_what_is_not_a_json_object_is_malformed(raw: bytes) -> None:
    with pytest.raises(Malformed):
        parse_activity(raw)


def test_the_reason_never_quotes_the_input() -> None:
    secret = "my password is hunter2"
    with pytest.raises(Malformed) as refused:
        _parse({**activity(service_url=SERVICE), "text": [secret], "from": {"id": secret + "\x00", "name": secret}})
    assert "hunter2" not in refused.value.reason and "hunter2" not in refused.value.about
