"""tickets.known_issue: a problem the bot tells new reporters about

During an outage every new report of it met the knowledge base, the urgency question and an
agent's triage before someone linked it to the problem by hand. A problem marked as a known
issue is now offered to whoever reports a problem of its category, and their report is filed
under it (so its fix resolves theirs and tells them).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("known_issue", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("known_issue")
