"""crawl runs keyed by queue job and attempt

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:00:00

A worker's crawl run carries its job (``crawl:<site>@<enqueue time in ms>``: arq reuses the id once a
job ends) and arq's try number; unique together, so
one attempt of a job records one run, and the next attempt of a job whose worker died closes the run
left ``running`` by it (``abandoned``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_crawl_runs_job_id"), ["job_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_crawl_runs_job_id"), ["job_id", "attempt"])


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_crawl_runs_job_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_crawl_runs_job_id"))
        batch_op.drop_column("attempt")
        batch_op.drop_column("job_id")
