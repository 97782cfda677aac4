"""throttle counts per action: login_attempts.purpose

Revision ID: 0007_throttle_purpose
Revises: 0006_unique_latest_submission
Create Date: 2026-12-01 09:00:00

Registration (and later password reset) is throttled with the sign-in machinery; each action
keeps its own counts. Existing rows are sign-in attempts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_throttle_purpose"
down_revision = "0006_unique_latest_submission"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=20), server_default="sign_in", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("purpose")
