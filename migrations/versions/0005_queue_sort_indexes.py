"""queue and dashboard indexes: keyset pages walk an index instead of sorting a jurisdiction

Revision ID: 0005_queue_sort_indexes
Revises: 0004_stored_score_aggregates
Create Date: 2026-11-25 04:15:46

"""

from alembic import op

revision = "0005_queue_sort_indexes"
down_revision = "0004_stored_score_aggregates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessments_score_id",
            ["overall_score", "id"],
            unique=False,
            postgresql_include=["status", "organization_id", "overall_tier", "submitted_at"],
        )
        batch_op.create_index(
            "ix_assessments_submitted_id",
            ["submitted_at", "id"],
            unique=False,
            postgresql_include=["status", "organization_id", "overall_score", "overall_tier"],
        )
        batch_op.create_index("ix_assessments_org_id", ["organization_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_org_id")
        batch_op.drop_index("ix_assessments_submitted_id")
        batch_op.drop_index("ix_assessments_score_id")
