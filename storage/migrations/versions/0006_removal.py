"""removed articles

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:00:00

An article taken down (删稿): ``articles.removed_at`` once its removal is confirmed, ``missing_since``
for a first 404 that the next check confirms or not, and one ``removals`` row per removal with its
evidence (kind, HTTP status, notice, redirect target), the last version held and when it was restored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=2048), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_removals_article_id_articles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_removals_version_id_versions"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removals")),
    )
    with op.batch_alter_table("removals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_removals_article_id"), ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("removals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_removals_article_id"))
    op.drop_table("removals")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("missing_since")
        batch_op.drop_column("removed_at")
