"""Knowledge-base full-text search: index terms, FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import json

import sqlalchemy as sa
from alembic import op

from desk.textindex import terms

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_terms",
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_kb_terms")),
    )
    with op.batch_alter_table("kb_articles") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE kb_fts USING fts5(terms, tokenize = 'unicode61')")
    else:
        op.execute(
            "ALTER TABLE kb_articles ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute("CREATE INDEX ix_kb_articles_search_vector ON kb_articles USING gin (search_vector)")
    _backfill()


def _backfill() -> None:
    """Index the articles that existed before this revision."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title, tags, body FROM kb_articles")).fetchall()
    for ident, title, tags, body in rows:
        tag_list = json.loads(tags) if isinstance(tags, str) else (tags or [])
        title_terms = terms(title)
        search_text = " ".join([*title_terms, *title_terms, *terms(" ".join(tag_list)), *terms(body)])
        bind.execute(sa.text("UPDATE kb_articles SET search_text = :t WHERE id = :i"), {"t": search_text, "i": ident})
        if bind.dialect.name == "sqlite":
            bind.execute(sa.text("INSERT INTO kb_fts(rowid, terms) VALUES (:i, :t)"), {"t": search_text, "i": ident})
        for term in {"", *search_text.split()}:
            updated = bind.execute(sa.text("UPDATE kb_terms SET df = df + 1 WHERE term = :t"), {"t": term})
            if updated.rowcount == 0:
                bind.execute(sa.text("INSERT INTO kb_terms(term, df) VALUES (:t, 1)"), {"t": term})


def downgrade() -> None:
    op.drop_table("kb_terms")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_articles_search_vector")
        op.execute("ALTER TABLE kb_articles DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table("kb_articles") as batch_op:
        batch_op.drop_column("search_text")
