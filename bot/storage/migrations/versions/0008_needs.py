"""What matching needs to know, as the asker answered it in the chat (bot/structuring/needs.py).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("needs", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("needs")
