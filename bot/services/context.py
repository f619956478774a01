"""What a turn may use, built once by create_app; and small helpers shared by the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, ConversationState, MessageFactory
from botbuilder.schema import Activity

from adaptive_cards.cards import Card
from bot.clock import Clock
from bot.config import Config
from bot.edge.connector import Connector
from bot.settings import Settings
from bot.store.conversations import ConversationStore
from bot.store.db import Database
from bot.store.tickets import TicketStore
from bot.telemetry import Telemetry

CUSTOMER_KEY = "faultline.customer"
"""turn_state key of the Customer an activity's tenant belongs to (None for the MSP's own tenant)."""
TENANT_KEY = "faultline.tenant"
"""turn_state key of the activity's tenant id."""


@dataclass
class Services:
    settings: Settings
    config: Config
    db: Database
    tickets: TicketStore
    conversations: ConversationStore
    state: ConversationState
    clock: Clock
    connector: Connector
    telemetry: Telemetry
    scheduler: Any = None
    """The Scheduler (bot.reminders.scheduler), set once the services exist."""


def card_message(card: Card, text: str = "") -> Activity:
    """A message carrying one Adaptive Card (and optional text above it)."""
    message = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if text:
        message.text = text
    return message
