"""Column sizes follow the platform's limits: display names 256, Teams ids 512, dialog-state and outbox keys 640.

Widening a varchar is a catalogue change on PostgreSQL (no table rewrite). SQLite ignores the lengths; batch mode
copies each table there, with foreign keys off for the migration (see `Database.migrate`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME, ID, URL, STATE_KEY = 256, 512, 512, 640

# table → [(column, old size, new size, nullable)]
WIDER: dict[str, list[tuple[str, int, int, bool]]] = {
    "tickets": [("reporter_id", 64, ID, False), ("reporter_name", 200, NAME, False),
                ("reporter_conversation_id", 300, ID, False), ("reporter_activity_id", 300, ID, True),
                ("channel_conversation_id", 300, ID, True), ("channel_activity_id", 300, ID, True),
                ("assignee_id", 64, ID, True), ("assignee_name", 200, NAME, True)],
    "ticket_events": [("actor_id", 64, ID, True), ("actor_name", 200, NAME, True)],
    "conversation_refs": [("conversation_id", 300, ID, False)],
    "channel_bindings": [("team_id", 300, ID, True), ("channel_id", 300, ID, False),
                         ("service_url", 500, URL, False)],
    "dialog_state": [("key", 400, STATE_KEY, False)],
    "processed_activities": [("activity_id", 300, ID, False), ("conversation_id", 300, ID, True)],
    "users": [("mri", 200, ID, False), ("name", 200, NAME, True)],
    "outbox": [("recipient", 300, ID + 64, False), ("key", 400, 640, False)],
}


def _resize(grow: bool) -> None:
    for table, columns in WIDER.items():
        with op.batch_alter_table(table) as batch:
            for column, old, new, nullable in columns:
                before, after = (old, new) if grow else (new, old)
                batch.alter_column(column, type_=sa.String(after), existing_type=sa.String(before),
                                   existing_nullable=nullable)


def upgrade() -> None:
    _resize(grow=True)


def downgrade() -> None:
    _resize(grow=False)
