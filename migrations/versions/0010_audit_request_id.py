"""audit rows carry the id of the request that wrote them

Revision ID: 0010_audit_request_id
Revises: 0009_kev
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_audit_request_id"
down_revision = "0009_kev"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_id", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("request_id")
