"""KB search index rebuilt: Chinese text is cut at stopwords before it is made into bigrams

"请问怎么连公司的wifi" asked for 请问 问怎 怎么 么连 连公 公司 司的 and wifi; no article has the
first seven, so the Wi-Fi article answered 0.22 of it and was not offered. Question words,
pronouns, particles and chat filler (:data:`desk.textindex._CJK_STOPS`) now cut a run of
characters, in articles as in queries, so every article's terms, the full-text index and the term
counts are rebuilt. Downgrading leaves the new terms (search works on either).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from desk.kb import rebuild_search_index

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild_search_index(op.get_bind())


def downgrade() -> None:
    pass
