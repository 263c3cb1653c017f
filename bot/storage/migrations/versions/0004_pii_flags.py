"""Flags for personal data masked in a description.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("pii_flags", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("pii_flags")
