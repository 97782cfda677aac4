"""Mail the portal sends: the outbox, items waiting for a daily digest, and who wants what."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (again, after a temporary failure)
    SENDING = "sending"  # claimed by a sender right now
    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx, invalid address) or given up after retries
    # Not sent because its link stopped meaning anything before it could go: the link was
    # used, replaced by a newer one, or withdrawn (an invitation revoked) while it waited.
    WITHDRAWN = "withdrawn"


class OutboxMessage(Base):
    """One message, written in the same transaction as the change that causes it: a change
    rolled back sends nothing, a committed one is never forgotten (a sender delivers it)."""

    __tablename__ = "outbox_messages"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    to_address: orm.Mapped[str] = orm.mapped_column(sa.String(254))
    subject: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    body_text: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_html: orm.Mapped[str] = orm.mapped_column(sa.Text)
    # RFC 8058 one-click unsubscribe address (optional notices only).
    unsubscribe_url: orm.Mapped[str | None] = orm.mapped_column(sa.String(500))
    # An optional notice's topic: checked against the person's choice again as it is sent.
    topic: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))
    # Where a reply goes (the coordinator who decided; else the deployment's support address).
    reply_to: orm.Mapped[str | None] = orm.mapped_column(sa.String(254))
    # A message with a secret link stores the link without its secret; the sender makes the
    # secret at delivery for the row named here ("account_token" or "invitation" and its id),
    # so no copy of this table, and no backup of it, opens anything.
    secret_kind: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))
    secret_ref: orm.Mapped[int | None]
    # The invitation a message is about (its link, or the notice to an address that has an
    # account): the organization's page shows whether it was delivered.
    invitation_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    user_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organization_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    # The event a message is about, for messages that must never go twice (reminders, digests).
    dedupe_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(200), unique=True)
    status: orm.Mapped[OutboxStatus] = orm.mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    last_error: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    next_attempt_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    claimed_at: orm.Mapped[datetime | None]
    # Which sender holds the claim (a random token per delivery run).
    claim_token: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    sent_at: orm.Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
        sa.Index("ix_outbox_messages_created", "created_at"),
    )


class DigestItem(Base):
    """A notice kept for a person's daily digest instead of being sent at once."""

    __tablename__ = "digest_items"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    text: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    link: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    digested_at: orm.Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_digest_items_user_pending", "user_id", "digested_at"),)


class NotificationPreference(Base):
    """A person's choice for one optional topic (absent: the topic's default)."""

    __tablename__ = "notification_preferences"

    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic: orm.Mapped[str] = orm.mapped_column(sa.String(40), primary_key=True)
    setting: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
