"""KB search index rebuilt: a word and its forms are one term

"file" was the term ``file`` and "files" ``fil`` ("-es" was an ending of its own), so a question
about a file did not find an article about files, nor "update" one about updates. Endings are
now folded and a final "e" dropped after them (:func:`desk.textindex._stem`), in articles as in
queries, so every article's terms, the full-text index and the term counts are rebuilt.
Downgrading leaves the new terms (search works on either).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from desk.kb import rebuild_search_index

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild_search_index(op.get_bind())


def downgrade() -> None:
    pass
