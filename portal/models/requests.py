"""Tool-access requests: the free services an operator asks their coordinator for."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import User
    from portal.models.assessments import Assessment
    from portal.models.organizations import Organization


class ToolRequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DENIED = "denied"
    FULFILLED = "fulfilled"


class ToolRequest(Base):
    __tablename__ = "tool_requests"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    organization_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    assessment_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("assessments.id", ondelete="SET NULL")
    )
    status: orm.Mapped[ToolRequestStatus] = orm.mapped_column(
        str_enum(ToolRequestStatus, "tool_request_status"), default=ToolRequestStatus.SUBMITTED
    )
    lock_version: orm.Mapped[int] = orm.mapped_column(default=1)
    contact_name: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    contact_email: orm.Mapped[str] = orm.mapped_column(sa.String(254))
    contact_phone: orm.Mapped[str] = orm.mapped_column(sa.String(40), default="")
    justification: orm.Mapped[str] = orm.mapped_column(sa.Text)
    decision_reason: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    created_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    decided_at: orm.Mapped[datetime | None]
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)

    organization: orm.Mapped[Organization] = orm.relationship()
    assessment: orm.Mapped[Assessment | None] = orm.relationship()
    items: orm.Mapped[list[ToolRequestItem]] = orm.relationship(
        back_populates="request", cascade="all, delete-orphan", lazy="selectin"
    )
    created_by: orm.Mapped[User | None] = orm.relationship(foreign_keys=[created_by_id])
    decided_by: orm.Mapped[User | None] = orm.relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        sa.Index("ix_tool_requests_org_status", "organization_id", "status"),
        sa.Index("ix_tool_requests_status_created", "status", "created_at"),
    )


class ToolRequestItem(Base):
    """One catalog service named in a request (ids come from questionnaires/tools.yaml)."""

    __tablename__ = "tool_request_items"

    request_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tool_requests.id", ondelete="CASCADE"), primary_key=True
    )
    tool_id: orm.Mapped[str] = orm.mapped_column(sa.String(60), primary_key=True)

    request: orm.Mapped[ToolRequest] = orm.relationship(back_populates="items")
