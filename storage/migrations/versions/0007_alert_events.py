"""alert events

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 17:30:00

The crawl's transaction writes one ``alert_events`` row per event (unique event id), nothing per channel;
the delivery step applies the channels' rules to each event not yet routed (``routed_at`` null) and
adds its ``alert_outbox`` rows. The outbox rows already there were routed when they were written: each
of their events is copied in once, as routed (so it is not routed again), and the rows stay where they
are, pending, sent or dead, delivered as before. A downgrade drops the events table: events not yet
routed then are lost (route them first: ``newswatch alerts deliver``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_alert_events_event_id")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_routed_at"), ["routed_at"], unique=False)
    op.execute(
        "INSERT INTO alert_events (event_id, event_kind, payload, created_at, routed_at) "
        "SELECT event_id, event_kind, payload, created_at, created_at FROM alert_outbox "
        "WHERE id IN (SELECT MIN(id) FROM alert_outbox GROUP BY event_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_routed_at"))
    op.drop_table("alert_events")
