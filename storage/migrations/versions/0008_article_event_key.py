"""article event keys

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 21:00:00

``articles.event_key``: what an article's event ids name when it is not the article's URL (null for every
article but two kinds, so no existing id changes): an article re-keyed to its own URL after claiming another
page's keeps the URL its events named, and the article created at that URL after it gets the two URLs
(``storage.models.event_key``). Articles created that way before this revision are found by the
``displaced`` key in the meta of their first version and get theirs; the articles that moved out before
it keep their new URL as key (no earlier article's ids named it). A downgrade drops the column: the ids it kept
apart meet again.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DISPLACED = "displaced"  # crawler.pipeline.identity.DISPLACED_KEY when this revision was written
SEPARATOR = "\x1f"  # storage.models.KEY_SEPARATOR when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_key", sa.Text(), nullable=True))
    connection = op.get_bind()
    found = connection.execute(sa.text(
        "SELECT articles.id, articles.canonical_url, versions.meta FROM articles "
        "JOIN versions ON versions.article_id = articles.id AND versions.number = 1 "
        f"WHERE CAST(versions.meta AS TEXT) LIKE '%\"{DISPLACED}\"%'")).all()
    for article_id, url, meta in found:
        moved = (json.loads(meta) if isinstance(meta, str) else meta or {}).get(DISPLACED)
        if isinstance(moved, str):
            connection.execute(sa.text("UPDATE articles SET event_key = :key WHERE id = :id"),
                               {"key": f"{url}{SEPARATOR}{moved}", "id": article_id})


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("event_key")
