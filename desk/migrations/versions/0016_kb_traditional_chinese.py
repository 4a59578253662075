"""KB search index rebuilt: Traditional Chinese is indexed as Simplified

"印表機無法列印" (Taiwan) had no term in common with an article on "打印机无法打印"; an article
written in Traditional characters was found by no Simplified question. Chinese text is now read
in Simplified characters and mainland words (:func:`desk.textindex.to_simplified`), in articles as
in queries, so every article's terms, the full-text index and the term counts are rebuilt.
Downgrading leaves the new terms (search works on either).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from desk.kb import rebuild_search_index

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild_search_index(op.get_bind())


def downgrade() -> None:
    pass
