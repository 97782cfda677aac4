"""a return keeps the answers as they stood, for the resubmission's "what changed"

Revision ID: 0011_return_snapshot
Revises: 0010_audit_request_id
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_return_snapshot"
down_revision = "0010_audit_request_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_column("answers")
