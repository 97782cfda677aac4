"""one latest-submission flag per organization, enforced by a unique partial index

Revision ID: 0006_unique_latest_submission
Revises: 0005_queue_sort_indexes
Create Date: 2026-11-25 07:05:00

The flag is moved inside the transaction of every status change. Changes to different
assessments of one organization are not serialised by any row lock, so this index is the safety
net: should two ever race, the second fails instead of leaving two flags. Any organization with
more than one flag now (none is expected) keeps it on the assessment the app would choose: its
most recently submitted one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_unique_latest_submission"
down_revision = "0005_queue_sort_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # The same choice as portal.assessments.lifecycle.latest_submission_id.
    op.execute(
        """
        UPDATE assessments SET is_latest_submission = false
        WHERE is_latest_submission AND COALESCE(id <> (
            SELECT newest.id FROM assessments AS newest
            WHERE newest.organization_id = assessments.organization_id
              AND newest.status IN ('submitted', 'accepted')
            ORDER BY newest.submitted_at DESC, newest.id DESC
            LIMIT 1
        ), true)
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
