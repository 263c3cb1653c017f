"""Three separate consents with their text versions, anonymous counts, erasure.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("consent_share", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.create_table(
        "consent_texts",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("given", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_version", sa.String(80), sa.ForeignKey("consent_texts.version"), nullable=False),
    )
    op.create_table(
        "anonymous_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("theme", sa.String(64)),
        sa.Column("neighbourhood_code", sa.String(16)),
        sa.Column("urgency", sa.String(8)),
        sa.Column("asker_role", sa.String(32)),
    )


def downgrade() -> None:
    op.drop_table("anonymous_questions")
    op.drop_table("consents")
    op.drop_table("consent_texts")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("consent_share")
