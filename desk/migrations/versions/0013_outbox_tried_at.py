"""outbox.tried_at: when a delivery attempt's outcome was recorded, for the change feed

The consoles' change feed read the latest ``sent_at``, so it saw a message delivered but not a
retry's error nor a delivery given up on: an agent learnt that a reply had not reached the user
only at the console's next full refresh. ``tried_at`` moves on every outcome; its index replaces
the one on ``sent_at``, which only the feed read. Rows already tried keep a null: the feed needs
only the newest.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("tried_at", desk.db.UTCDateTime(timezone=True), nullable=True))
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.create_index("ix_outbox_tried_at", "outbox", ["tried_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_tried_at", table_name="outbox")
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("tried_at")
