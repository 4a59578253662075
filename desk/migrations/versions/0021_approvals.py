"""approvals: service requests that wait for someone's yes

"Who approves it (your manager's e-mail)?" was asked of every access request and the answer only
written on the ticket: nobody asked the manager. A request type may now name the question whose
answer is its approver; the approver is sent the request with a link (or buttons, in their chat)
to approve or reject it, the team's SLA clocks start at the approval (``tickets.sla_start``),
and a rejection cancels the request. ``tickets.approval`` is the request's approval state.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("approval", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("sla_start", desk.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=254), nullable=False),
        sa.Column("approver_name", sa.String(length=200), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("requested_at", desk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", desk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'rejected', 'withdrawn')", name=op.f("ck_approvals_state")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_approvals_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_approvals_person_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_approvals_token_hash")),
    )
    op.create_index(op.f("ix_approvals_ticket_id"), "approvals", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_approvals_ticket_id"), table_name="approvals")
    op.drop_table("approvals")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sla_start")
        batch.drop_column("approval")
