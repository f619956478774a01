"""Pydantic models of exactly the activity fields the service reads; everything else is dropped at the edge.

Types are strict (a number is not a string, a list is not an id), ids are opaque bounded strings, free text is
cleaned (see `bot.edge.text`). `Activity.forward()` is the body handed to the turn: only validated fields.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic import StringConstraints as Bounded
from pydantic_core import PydanticCustomError

from adaptive_cards import verbs
from bot.edge.limits import MAX_GUID, MAX_ID, MAX_ITEMS, MAX_NAME, MAX_TEXT, MAX_TOKEN, MAX_URL
from bot.edge.text import clean_json, clean_text, is_opaque_id, service_url_problem

CARD_ACTION = "adaptiveCard/action"


def _opaque(value: str) -> str:
    if not is_opaque_id(value):
        raise PydanticCustomError("opaque_id", "must be non-blank, without control characters or lone surrogates")
    return value


def _service_url(value: str) -> str:
    problem = service_url_problem(value)
    if problem:
        raise PydanticCustomError("service_url", "serviceUrl {problem}", {"problem": problem})
    return value


def _cleaned(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


Id = Annotated[str, Bounded(max_length=MAX_ID), AfterValidator(_opaque)]
Guid = Annotated[str, Bounded(max_length=MAX_GUID), AfterValidator(_opaque)]
Token = Annotated[str, Bounded(max_length=MAX_TOKEN), AfterValidator(_opaque)]
Name = Annotated[str, BeforeValidator(_cleaned), Bounded(max_length=MAX_NAME)]
Text = Annotated[str, BeforeValidator(_cleaned), Bounded(max_length=MAX_TEXT)]
Url = Annotated[str, Bounded(max_length=MAX_URL), AfterValidator(_service_url)]
Json = Annotated[dict[str, Any], BeforeValidator(clean_json)]


class _Wire(BaseModel):
    """Field names are the wire's camelCase spelling."""

    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True, frozen=True)


class Account(_Wire):
    id: Id
    name: Name | None = None
    aadObjectId: Guid | None = None
    role: Token | None = None


class Conversation(_Wire):
    id: Id
    conversationType: Token | None = None
    tenantId: Guid | None = None
    isGroup: bool | None = None
    name: Name | None = None


class Tenant(_Wire):
    id: Guid | None = None


class Place(_Wire):
    """channelData.team or channelData.channel."""

    id: Id | None = None
    name: Name | None = None


class ChannelData(_Wire):
    tenant: Tenant | None = None
    team: Place | None = None
    channel: Place | None = None


class Entity(_Wire):
    """A mention must name who is mentioned; other entities (clientInfo …) keep only their type."""

    type: Token
    mentioned: Account | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _mention_names_someone(self) -> Entity:
        if self.type.lower() == "mention" and (self.mentioned is None or not (self.text or self.mentioned.name)):
            raise PydanticCustomError("mention", "a mention entity must carry `mentioned` and a text or name")
        return self


class CardAction(_Wire):
    type: Token | None = None
    verb: Token | None = None
    data: Json | None = None


class CardInvoke(_Wire):
    """The value of an adaptiveCard/action invoke."""

    action: CardAction


def _check_card_invoke(value: dict[str, Any]) -> None:
    try:
        CardInvoke.model_validate(value)
    except ValidationError as exc:  # its text would quote the input, so only the place and kind are kept
        first = exc.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PydanticCustomError("card_invoke", "action {where}: {kind}",
                                  {"where": where, "kind": first["type"]}) from None


class Activity(_Wire):
    """The fields of an activity that Faultline reads, checked."""

    type: Token
    id: Id | None = None
    channelId: Token
    serviceUrl: Url
    from_: Account = Field(alias="from")
    recipient: Account
    conversation: Conversation
    channelData: ChannelData | None = None
    name: Token | None = None
    text: Text | None = None
    value: Json | None = None
    locale: Token | None = None
    localTimezone: Token | None = None
    replyToId: Id | None = None
    action: Token | None = None
    entities: Annotated[list[Entity], Bounded(max_length=MAX_ITEMS)] | None = None
    membersAdded: Annotated[list[Account], Bounded(max_length=MAX_ITEMS)] | None = None
    membersRemoved: Annotated[list[Account], Bounded(max_length=MAX_ITEMS)] | None = None

    @model_validator(mode="after")
    def _value_fits_the_activity(self) -> Activity:
        if self.type == "invoke" and self.name == CARD_ACTION:
            _check_card_invoke(self.value or {})
        elif self.value is not None and not isinstance(self.value.get(verbs.ACTION_KEY, ""), str):
            raise PydanticCustomError("card_submit", "value.{key} must be a string", {"key": verbs.ACTION_KEY})
        return self

    @property
    def tenant(self) -> str | None:
        """Teams puts the tenant in channelData.tenant.id; the Emulator, if anywhere, in conversation.tenantId."""
        from_channel = self.channelData.tenant.id if self.channelData and self.channelData.tenant else None
        return from_channel or self.conversation.tenantId

    def forward(self) -> dict[str, Any]:
        """The activity as the turn sees it: validated fields only, in the Bot Framework's JSON shape."""
        body = self.model_dump(by_alias=True, exclude_none=True)
        if self.entities:
            body.setdefault("text", "")  # botbuilder's mention removal cannot handle a missing text
        return body
