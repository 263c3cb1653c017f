"""Handoff: outbox, processed callbacks, match fields, theme alternatives, history notes.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("theme_alternatives", sa.Text))
        batch.add_column(sa.Column("match_id", sa.String(200)))
        batch.add_column(sa.Column("matching_status", sa.String(32)))
    with op.batch_alter_table("intake_events") as batch:
        batch.add_column(sa.Column("note", sa.Text))
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("webhook_id", sa.String(64), nullable=False, unique=True),
        sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="SET NULL")),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("response_body", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_messages_intake_id", "outbox_messages", ["intake_id"])
    op.create_index("ix_outbox_messages_status", "outbox_messages", ["status"])
    op.create_index("ix_outbox_messages_next_attempt_at", "outbox_messages", ["next_attempt_at"])
    op.create_table(
        "inbound_webhooks",
        sa.Column("webhook_id", sa.String(128), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_webhooks")
    op.drop_table("outbox_messages")
    with op.batch_alter_table("intake_events") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("matching_status")
        batch.drop_column("match_id")
        batch.drop_column("theme_alternatives")
