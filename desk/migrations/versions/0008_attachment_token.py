"""attachments.token: the secret in the link of a file sent to a user

Agents can send files to requesters. Channels that cannot carry a file (SMS, the web chat) send
a link to it; the link holds this random token, so it works without signing in and cannot be
guessed. Existing attachments have none and are reachable only through the agent API.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("token")
