"""agents.failed_sign_ins and locked_until: password sign-in locks after repeated failures

The console's sign-in took any number of guesses at a password. Wrong passwords in a row are
now counted on the agent's row (so the count holds across processes), and past
``auth.max_failed_sign_ins`` the account's password sign-in is refused until ``locked_until``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", desk.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_sign_ins")
