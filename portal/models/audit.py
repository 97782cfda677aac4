"""Audit log: who did what, when, from where — never answer text, passwords or tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)
    actor_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Kept even if the user is deleted later, so the log still reads.
    actor_email: orm.Mapped[str] = orm.mapped_column(sa.String(254), default="")
    action: orm.Mapped[str] = orm.mapped_column(sa.String(60), index=True)
    object_type: orm.Mapped[str] = orm.mapped_column(sa.String(40), default="")
    object_id: orm.Mapped[str] = orm.mapped_column(sa.String(40), default="")
    organization_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    ip_address: orm.Mapped[str] = orm.mapped_column(sa.String(45), default="")
    outcome: orm.Mapped[str] = orm.mapped_column(sa.String(20), default="ok")
    details: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON, default=dict)
    # The request that wrote it (X-Request-ID; also in the request's log line and error page).
    request_id: orm.Mapped[str] = orm.mapped_column(sa.String(64), default="", server_default="")
