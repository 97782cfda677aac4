"""one latest-submission flag per organization, enforced by a unique partial index

Revision ID: 0006_unique_latest_submission
Revises: 0005_queue_sort_indexes
Create Date: 2026-11-25 07:05:00

The flag is moved inside the transaction of every status change, under the assessment's row
lock; this index is the safety net should two changes ever race. Any organization with more
than one flag (none is expected) keeps it on its newest submitted assessment only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_unique_latest_submission"
down_revision = "0005_queue_sort_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        UPDATE assessments SET is_latest_submission = false
        WHERE is_latest_submission AND id NOT IN (
            SELECT max(id) FROM assessments WHERE is_latest_submission GROUP BY organization_id
        )
        """
    )
    op.drop_index("ix_assessments_latest_submission", table_name="assessments")
    op.create_index(
        "uq_assessments_latest_submission",
        "assessments",
        ["organization_id"],
        unique=True,
        sqlite_where=sa.text("is_latest_submission"),
        postgresql_where=sa.text("is_latest_submission"),
    )


def downgrade():
    op.drop_index("uq_assessments_latest_submission", table_name="assessments")
    op.create_index(
        "ix_assessments_latest_submission",
        "assessments",
        ["organization_id"],
        unique=False,
        sqlite_where=sa.text("is_latest_submission"),
        postgresql_where=sa.text("is_latest_submission"),
    )
