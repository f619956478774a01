"""The turn's Activity built directly from the checked body is the one msrest's deserializer builds."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot.edge.inbound import Malformed, parse_activity
from bot.edge.turn_activity import turn_activity
from tests.bot.fuzz_activities import KINDS, base, serialise

SERVICE = "https://smba.trafficmanager.net/emea/"
FULL = {
    "type": "message", "id": "1", "channelId": "msteams", "serviceUrl": SERVICE, "locale": "en-GB",
    "localTimezone": "Europe/London", "replyToId": "0", "action": "add", "name": "x",
    "from": {"id": "29:a", "name": "Ada", "aadObjectId": "00000000-0000-0000-0000-0000000000a1", "role": "user"},
    "recipient": {"id": "28:bot", "name": "Faultline"},
    "conversation": {"id": "a:1", "conversationType": "channel", "tenantId": "t", "isGroup": True, "name": "Ops"},
    "channelData": {"tenant": {"id": "t"}, "team": {"id": "19:team", "name": "Team"}, "channel": {"id": "19:c"}},
    "text": "<at>Faultline</at> status", "value": {"action": "help", "n": [1, {"x": None}]},
    "entities": [{"type": "mention", "mentioned": {"id": "28:bot", "name": "Faultline"}, "text": "<at>Faultline</at>"},
                 {"type": "clientInfo"}],
    "membersAdded": [{"id": "28:bot"}, {"id": "29:b", "name": "Bo"}], "membersRemoved": [{"id": "29:c"}],
}


def shape(value: Any) -> Any:
    """Every attribute of a model tree, with its class: two equal shapes are the same objects to a turn."""
    if isinstance(value, Model):
        return (type(value).__name__, {k: shape(v) for k, v in sorted(vars(value).items())})
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return value


def checked(body: dict[str, Any]) -> dict[str, Any]:
    return parse_activity(serialise(body)).forward()


def test_every_field_the_edge_keeps_is_built_as_msrest_builds_it() -> None:
    body = checked(FULL)
    assert set(body) == set(FULL)  # the edge kept every field: each is compared below
    built = turn_activity(body)
    assert shape(built) == shape(Activity().deserialize(body))
    assert built.conversation.additional_properties == {"tenantId": "t"}  # botbuilder maps only "tenantID"
    assert built.entities[0].additional_properties["mentioned"] == {"id": "28:bot", "name": "Faultline"}
    assert TurnContext.remove_recipient_mention(built) == " status"
    assert built.from_property.aad_object_id == "00000000-0000-0000-0000-0000000000a1"
    assert built.local_timezone == "Europe/London" and built.members_removed[0].id == "29:c"


@pytest.mark.parametrize("seed", range(4))
def test_teams_shaped_activities_of_every_kind_are_built_alike(seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for n in range(150):
        try:
            body = checked(base(rng.choice(KINDS), rng, SERVICE, n))
        except Malformed:
            continue
        assert shape(turn_activity(body)) == shape(Activity().deserialize(body)), body
        compared += 1
    assert compared > 100


def test_a_field_the_edge_never_lets_through_is_refused_not_guessed() -> None:
    with pytest.raises(TypeError, match="iso-8601"):
        turn_activity({"type": "message", "timestamp": "2025-11-24T10:00:00Z"})
