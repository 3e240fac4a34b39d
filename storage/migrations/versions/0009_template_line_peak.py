"""template line peaks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:30:00

``template_lines.peak``: the most articles of the site that have held a line at once since the line was
last held by none. A hot list moves on page by page: the line it dropped leaves the counts as the site's
other pages are fetched again, while the page still showing it has not been; the peak keeps it furniture
for that page whichever order a run fetches the pages in (``monitor.changes.template.learn``). Existing rows
start at their count. A downgrade drops the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("template_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("peak", sa.Integer(), nullable=False, server_default="0"))
    op.get_bind().execute(sa.text("UPDATE template_lines SET peak = articles"))


def downgrade() -> None:
    with op.batch_alter_table("template_lines", schema=None) as batch_op:
        batch_op.drop_column("peak")
