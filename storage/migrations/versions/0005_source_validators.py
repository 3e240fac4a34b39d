"""validators of feeds and leaf sitemaps

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00

Per feed or leaf sitemap URL, the ``ETag`` / ``Last-Modified`` it answered with when a run last read it
completely: the next run sends them (conditional GET) and reads nothing on a 304.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_validators",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=128), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_source_validators")),
    )


def downgrade() -> None:
    op.drop_table("source_validators")
