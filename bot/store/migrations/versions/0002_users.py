"""Users seen by the bot: Entra object id to Teams user id (MRI), for refresh.userIds and proactive chats.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("aad_object_id", sa.String(64), primary_key=True),
        sa.Column("mri", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("aad_object_id", name="pk_users"),
    )


def downgrade() -> None:
    op.drop_table("users")
