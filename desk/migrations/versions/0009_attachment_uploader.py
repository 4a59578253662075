"""attachments.uploaded_by_id: the agent who uploaded a file to send

An upload waits for the comment or message that takes it; only the agent who uploaded it may
send it, so one agent cannot send another's pending file by guessing its id. Existing
attachments have none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploaded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_uploaded_by_id_agents"), "agents", ["uploaded_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attachments_uploaded_by_id_agents"), type_="foreignkey")
        batch_op.drop_column("uploaded_by_id")
