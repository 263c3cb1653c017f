"""The loop back to the resident and questions that belong together.

- outbox rows name where they go (`destination`: the matching backend, or the resident);
- a status change may carry a reason for the resident (`public_note`);
- an intake may stop its updates (`updates_token`, `updates_stopped_at`) and belong to a group (`group_id`);
- similar intakes are linked (`intake_links`).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("destination", sa.String(16), nullable=False, server_default="matching"))
        batch.create_index("ix_outbox_messages_destination", ["destination"])
    with op.batch_alter_table("intake_events") as batch:
        batch.add_column(sa.Column("public_note", sa.Text))
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("updates_token", sa.String(64)))
        batch.add_column(sa.Column("updates_stopped_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("group_id", sa.Integer))
        batch.create_index("ix_intakes_updates_token", ["updates_token"], unique=True)
        batch.create_index("ix_intakes_group_id", ["group_id"])
        batch.create_foreign_key("fk_intakes_group_id", "intakes", ["group_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "intake_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("other_id", sa.Integer, sa.ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("intake_id", "other_id", name="uq_intake_links_pair"),
    )


def downgrade() -> None:
    op.drop_table("intake_links")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_constraint("fk_intakes_group_id", type_="foreignkey")
        batch.drop_index("ix_intakes_group_id")
        batch.drop_index("ix_intakes_updates_token")
        batch.drop_column("group_id")
        batch.drop_column("updates_stopped_at")
        batch.drop_column("updates_token")
    with op.batch_alter_table("intake_events") as batch:
        batch.drop_column("public_note")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index("ix_outbox_messages_destination")
        batch.drop_column("destination")
