"""The SLA board: a Teams tab served by the bot's own app (board, ticket and reports pages, their JSON API)."""

from bot.board.routes import register

__all__ = ["register"]
