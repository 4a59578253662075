"""people.taiwan: requesters who write Taiwan's words are answered in them

A colleague in Taipei who wrote 筆記型電腦無法連上無線網路 was answered in Traditional characters
but in the mainland's words (網絡, 軟件, 打印機), which Hong Kong uses and Taiwan does not. The desk
now notes who writes Taiwan's words (印表機, 網路, 軟體), and what it says to them uses those.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("taiwan", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("taiwan")
