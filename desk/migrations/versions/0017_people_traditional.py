"""people.traditional: requesters who write Traditional Chinese are answered in it

A colleague in Taipei who wrote 印表機無法列印 got the bot's answers, the article and every
notice in Simplified characters. The desk now notes, from each Chinese message, which script a
requester writes, and what the bot and the desk say to them goes out in Traditional characters.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("traditional", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("traditional")
