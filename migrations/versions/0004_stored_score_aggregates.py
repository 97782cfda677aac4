"""stored score aggregates: per-priority scores, critical gaps, latest-submission flag

Dashboards and peer figures used to load every organization's newest submission with its JSON
score detail and aggregate in Python. These tables and the flag let SQL do it. Existing
submitted assessments are backfilled from their stored ``score_detail``.

Revision ID: 0004_stored_score_aggregates
Revises: 0003_login_attempts
Create Date: 2026-11-25 03:37:38.881883

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004_stored_score_aggregates"
down_revision = "0003_login_attempts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_critical_gaps",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_critical_gaps_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "assessment_id", "question_id", name=op.f("pk_assessment_critical_gaps")
        ),
    )
    op.create_table(
        "assessment_priority_scores",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_priority_scores_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "assessment_id", "priority_id", name=op.f("pk_assessment_priority_scores")
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_latest_submission", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.create_index(
            "ix_assessments_latest_submission",
            ["organization_id"],
            unique=False,
            sqlite_where=sa.text("is_latest_submission"),
            postgresql_where=sa.text("is_latest_submission"),
        )
    _backfill()


def _backfill():
    bind = op.get_bind()
    assessments = sa.table(
        "assessments",
        sa.column("id", sa.Integer),
        sa.column("organization_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("submitted_at", sa.DateTime),
        sa.column("score_detail", sa.JSON),
        sa.column("is_latest_submission", sa.Boolean),
    )
    submitted = ("submitted", "accepted")
    rows = bind.execute(
        sa.select(assessments.c.id, assessments.c.organization_id, assessments.c.score_detail)
        .where(assessments.c.status.in_(submitted))
        .order_by(assessments.c.organization_id, assessments.c.submitted_at, assessments.c.id)
    ).all()
    scores, gaps, latest = [], [], {}
    for assessment_id, organization_id, detail in rows:
        if isinstance(detail, str):
            detail = json.loads(detail)
        detail = detail or {}
        for priority_id, value in (detail.get("priorities") or {}).items():
            if isinstance(value.get("score"), int):
                scores.append(
                    {
                        "assessment_id": assessment_id,
                        "priority_id": priority_id,
                        "score": value["score"],
                    }
                )
        for question_id in dict.fromkeys(detail.get("critical_gaps") or []):
            gaps.append({"assessment_id": assessment_id, "question_id": question_id})
        latest[organization_id] = assessment_id  # rows are in submission order: last one wins
    if scores:
        op.bulk_insert(
            sa.table("assessment_priority_scores", *_columns("priority_id", "score")), scores
        )
    if gaps:
        op.bulk_insert(sa.table("assessment_critical_gaps", *_columns("question_id")), gaps)
    ids = list(latest.values())
    for start in range(0, len(ids), 5_000):  # drivers cap the number of bound parameters
        bind.execute(
            sa.update(assessments)
            .where(assessments.c.id.in_(ids[start : start + 5_000]))
            .values(is_latest_submission=True)
        )


def _columns(*names):
    return [sa.column("assessment_id", sa.Integer), *(sa.column(n) for n in names)]


def downgrade():
    # SQLite drops the column by rebuilding the table; with foreign keys on, dropping the old
    # table would cascade and delete every answer and status change. Off for the rebuild.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_assessments_latest_submission",
            sqlite_where=sa.text("is_latest_submission"),
            postgresql_where=sa.text("is_latest_submission"),
        )
        batch_op.drop_column("is_latest_submission")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")

    op.drop_table("assessment_priority_scores")
    op.drop_table("assessment_critical_gaps")
