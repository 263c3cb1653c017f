"""Initial schema: intakes, contacts, intake_events.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intakes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("reference", sa.String(32), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("asker_role", sa.String(32)),
        sa.Column("organisation", sa.String(200)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("theme", sa.String(64)),
        sa.Column("theme_confidence", sa.Float),
        sa.Column("neighbourhood_kind", sa.String(16)),
        sa.Column("neighbourhood_code", sa.String(16)),
        sa.Column("neighbourhood_name", sa.String(200)),
        sa.Column("district_code", sa.String(16)),
        sa.Column("district_name", sa.String(200)),
        sa.Column("neighbourhood_text", sa.String(200)),
        sa.Column("urgency", sa.String(8)),
        sa.Column("timeframe", sa.String(120)),
        sa.Column("consent_contact", sa.Boolean, nullable=False),
    )
    op.create_index("ix_intakes_reference", "intakes", ["reference"])
    op.create_index("ix_intakes_status", "intakes", ["status"])
    op.create_index("ix_intakes_sender_id", "intakes", ["sender_id"])
    op.create_index("ix_intakes_theme", "intakes", ["theme"])
    op.create_index("ix_intakes_neighbourhood_code", "intakes", ["neighbourhood_code"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(32)),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "intake_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64)),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
    )
    op.create_index("ix_intake_events_intake_id", "intake_events", ["intake_id"])


def downgrade() -> None:
    op.drop_table("intake_events")
    op.drop_table("contacts")
    op.drop_table("intakes")
