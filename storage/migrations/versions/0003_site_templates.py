"""site templates: per-site line counts, each article's contribution, the templates versions used

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 13:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_lines",
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("line_hash", sa.String(length=16), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site", "line_hash", name=op.f("pk_template_lines")),
    )
    op.create_table(
        "article_lines",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("line_hash", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_article_lines_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "line_hash", name=op.f("pk_article_lines")),
    )
    op.create_table(
        "site_templates",
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("line_hashes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "digest", name=op.f("pk_site_templates")),
    )


def downgrade() -> None:
    op.drop_table("site_templates")
    op.drop_table("article_lines")
    op.drop_table("template_lines")
