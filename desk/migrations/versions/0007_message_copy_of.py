"""messages.copy_of_id: a transcript line that repeats a ticket comment

An agent's public comment is one message on the ticket and another, as delivered, in the
requester's conversation; the second points at the first, so a ticket's view can show it once.
Existing messages point nowhere.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copy_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_copy_of_id_messages"), "messages", ["copy_of_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_copy_of_id_messages"), type_="foreignkey")
        batch_op.drop_column("copy_of_id")
