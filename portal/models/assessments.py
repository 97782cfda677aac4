"""Assessments, their answers, review comments and status history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import User
    from portal.models.organizations import Organization


class QuestionnaireVersion(Base):
    """A published snapshot of the questionnaire files, so old assessments keep their questions."""

    __tablename__ = "questionnaire_versions"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    label: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    content_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    # Deferred: the raw documents (~300 KB of JSON) are needed only to re-read an old version;
    # loading them with every assessment cost ~3 ms per wizard page.
    definition: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON, deferred=True)
    is_current: orm.Mapped[bool] = orm.mapped_column(default=False)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


# Statuses in which the operator may still change answers.
EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)


class Assessment(Base):
    __tablename__ = "assessments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    organization_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    questionnaire_version_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("questionnaire_versions.id", ondelete="RESTRICT")
    )
    # Module ids answered (core plus the organization's sectors at the time it was started).
    modules: orm.Mapped[list[str]] = orm.mapped_column(sa.JSON)
    status: orm.Mapped[AssessmentStatus] = orm.mapped_column(
        str_enum(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    # Optimistic-locking counter for assessment-level changes (status transitions).
    lock_version: orm.Mapped[int] = orm.mapped_column(default=1)
    previous_assessment_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="SET NULL")
    )
    created_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: orm.Mapped[datetime | None]
    submitted_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: orm.Mapped[datetime | None]
    # Stored at submission so that queues and dashboards never recompute scores.
    overall_score: orm.Mapped[int | None]
    overall_tier: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))
    critical_gap_count: orm.Mapped[int | None]
    # Deferred: ~1.3 KB of JSON per row that lists (queues, exports) never show.
    score_detail: orm.Mapped[dict[str, Any] | None] = orm.mapped_column(sa.JSON, deferred=True)
    # True on exactly one assessment per organization that has submitted: its most recent
    # submitted or accepted one. Dashboards and peer figures join on it instead of searching
    # for "the newest submission" per organization on every request.
    is_latest_submission: orm.Mapped[bool] = orm.mapped_column(
        default=False, server_default=sa.false()
    )

    organization: orm.Mapped[Organization] = orm.relationship()
    questionnaire_version: orm.Mapped[QuestionnaireVersion] = orm.relationship()
    answers: orm.Mapped[list[Answer]] = orm.relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    created_by: orm.Mapped[User | None] = orm.relationship(foreign_keys=[created_by_id])

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        sa.Index("ix_assessments_org_status", "organization_id", "status"),
        sa.Index("ix_assessments_status_submitted", "status", "submitted_at"),
        # Keyset pages in the queue's sort orders: newest first walks this index backwards and
        # stops after one page, instead of sorting every submission in the jurisdiction.
        # (PostgreSQL: the filtered columns ride along, so skipping rows needs no table read.)
        sa.Index(
            "ix_assessments_submitted_id",
            "submitted_at",
            "id",
            postgresql_include=["status", "organization_id", "overall_score", "overall_tier"],
        ),
        sa.Index(
            "ix_assessments_score_id",
            "overall_score",
            "id",
            postgresql_include=["status", "organization_id", "overall_tier", "submitted_at"],
        ),
        # Each organization's newest assessment (status counts), read from the index alone.
        sa.Index("ix_assessments_org_id", "organization_id", "id"),
        # Each organization's latest submission (dashboards); unique, so a flag can never be
        # set twice even if two status changes raced.
        sa.Index(
            "uq_assessments_latest_submission",
            "organization_id",
            unique=True,
            sqlite_where=sa.text("is_latest_submission"),
            postgresql_where=sa.text("is_latest_submission"),
        ),
        # At most one editable assessment per organization.
        sa.Index(
            "uq_assessments_one_open_per_org",
            "organization_id",
            unique=True,
            sqlite_where=sa.text("status IN ('draft', 'returned')"),
            postgresql_where=sa.text("status IN ('draft', 'returned')"),
        ),
    )

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class Answer(Base):
    """One answer; ``revision`` is the optimistic lock a save must name."""

    __tablename__ = "answers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE")
    )
    question_id: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    # An option value, or the reserved "dont_know" / "na"; NULL means cleared.
    value: orm.Mapped[str | None] = orm.mapped_column(sa.String(60))
    note: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    revision: orm.Mapped[int] = orm.mapped_column(default=1)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    assessment: orm.Mapped[Assessment] = orm.relationship(back_populates="answers")

    __table_args__ = (sa.UniqueConstraint("assessment_id", "question_id"),)


class AssessmentPriorityScore(Base):
    """A submitted assessment's score on one priority, stored so that SQL can aggregate it."""

    __tablename__ = "assessment_priority_scores"

    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    priority_id: orm.Mapped[str] = orm.mapped_column(sa.String(60), primary_key=True)
    score: orm.Mapped[int]


class AssessmentCriticalGap(Base):
    """A critical question a submitted assessment did not meet (one row per gap)."""

    __tablename__ = "assessment_critical_gaps"

    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: orm.Mapped[str] = orm.mapped_column(sa.String(120), primary_key=True)


class ReviewComment(Base):
    """A coordinator's (or operator's) comment on an assessment, optionally on one question."""

    __tablename__ = "review_comments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    author_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    question_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(120))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)

    author: orm.Mapped[User | None] = orm.relationship()


class StatusChange(Base):
    """History of assessment status transitions: who moved it, when, from what to what."""

    __tablename__ = "status_changes"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    from_status: orm.Mapped[AssessmentStatus | None] = orm.mapped_column(
        str_enum(AssessmentStatus, "status_from")
    )
    to_status: orm.Mapped[AssessmentStatus] = orm.mapped_column(
        str_enum(AssessmentStatus, "status_to")
    )
    actor_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    # On a return: the answers as they stood ({question id: [value, note]}), so that the
    # resubmission can show the coordinator what changed since. Deferred: only that view reads it.
    answers: orm.Mapped[dict[str, list[str | None]] | None] = orm.mapped_column(
        sa.JSON, deferred=True
    )

    actor: orm.Mapped[User | None] = orm.relationship()


class PendingSave(Base):
    """Answers posted after the session expired, kept until the person signs in again.

    Holds what was typed so that nothing is lost. It belongs to the user whose (expired) login
    the browser still presented; only that user, signed in again, sees it — pre-filled into the
    page for a fresh, CSRF-protected save — so a forged cross-site post cannot plant answers.
    """

    __tablename__ = "pending_saves"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    assessment_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    step: orm.Mapped[int] = orm.mapped_column(default=0)
    payload: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)
