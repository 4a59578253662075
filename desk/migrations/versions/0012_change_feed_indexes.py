"""Indexes on conversations.updated_at and outbox.sent_at, for the consoles' change feed

The feed reads the latest change to any conversation and the latest delivery every second
while a console listens; without the indexes those are scans of every conversation ever held
and every message ever sent.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.drop_index("ix_conversations_updated_at", table_name="conversations")
