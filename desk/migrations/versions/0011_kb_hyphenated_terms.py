"""KB search index rebuilt: hyphenated words with a short part are also one term

"Wi-Fi" was indexed as ``wi fi`` and is now ``wi fi wifi`` ("e-mail" ``e mail email``), so a
user who types "wifi" finds the "Wi-Fi" article by its title. Queries are made by the new
rules at once, so every article's terms, the full-text index and the term counts are rebuilt
from the articles' text. Downgrading leaves the new terms (the old ones are not restorable
without the old code, and search works on either).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from desk.kb import rebuild_search_index

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild_search_index(op.get_bind())


def downgrade() -> None:
    pass
