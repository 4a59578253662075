"""KB search on PostgreSQL: the tsvector stays in the row, the GIN index takes no pending list.

Ranking reads ``search_vector`` of every article it considers. Left to the default (EXTENDED)
storage, the vector of a longer article is moved to the TOAST table, which costs a second
index lookup and page per row: at 100,000 articles that was two thirds of the buffers a search
touched. MAIN keeps it in the row (the body and ``search_text``, compressible and read only for
the few articles shown, are moved out instead). Existing rows are rewritten once so that they
get the new layout: the generated column is recomputed on update.

``fastupdate`` off: with the default, new entries wait in an unsorted pending list that every
search scans in full until (auto)vacuum or the 4 MB limit merges it. Articles change rarely and
are searched constantly, so each write pays for its index entries at once instead.

SQLite: nothing to do (FTS5 has neither).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE kb_articles ALTER COLUMN search_vector SET STORAGE MAIN")
    op.execute("UPDATE kb_articles SET search_text = search_text")
    op.execute("ALTER INDEX ix_kb_articles_search_vector SET (fastupdate = off)")
    # Turning it off keeps what is already pending; merge that into the index now.
    op.execute("SELECT gin_clean_pending_list('ix_kb_articles_search_vector'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX ix_kb_articles_search_vector RESET (fastupdate)")
    op.execute("ALTER TABLE kb_articles ALTER COLUMN search_vector SET STORAGE EXTENDED")
