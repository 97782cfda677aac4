"""Answers posted after a login expired, kept so the person loses nothing by signing in again.

Bounded so that it cannot be used as free storage or to plant text: only the fields of the
step's own questions, checked like a normal save (the caller validates them first); at most
:data:`MAX_PER_USER` per person (the newest kept); gone after :data:`LIFETIME`. What is kept
comes back as "unsaved changes", shown and marked, never merged silently.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.models import Answer, Assessment, PendingSave, User, utcnow

LIFETIME = timedelta(days=7)
MAX_PER_USER = 3


def keep(assessment: Assessment, owner: User, step: int, fields: dict[str, str]) -> str:
    """Store ``fields`` for ``owner``; return the secret token that brings them back."""
    now = utcnow()
    db.session.execute(sa.delete(PendingSave).where(PendingSave.created_at < now - LIFETIME))
    token = secrets.token_urlsafe(24)
    db.session.add(
        PendingSave(
            token_hash=_hash(token),
            assessment_id=assessment.id,
            user_id=owner.id,
            step=step,
            payload=fields,
            created_at=now,
        )
    )
    db.session.flush()
    newest = (
        sa.select(PendingSave.id)
        .where(PendingSave.user_id == owner.id)
        .order_by(PendingSave.created_at.desc(), PendingSave.id.desc())
        .limit(MAX_PER_USER)
    )
    db.session.execute(
        sa.delete(PendingSave).where(
            PendingSave.user_id == owner.id, PendingSave.id.not_in(newest.scalar_subquery())
        )
    )
    audit.record_for(assessment, "assessment.save_deferred", actor=owner)
    return token


def find(token: str, assessment: Assessment, user: User) -> PendingSave | None:
    """The unexpired save behind ``token``, if it is ``user``'s and for ``assessment``."""
    return db.session.scalar(
        sa.select(PendingSave).where(
            PendingSave.token_hash == _hash(token),
            PendingSave.assessment_id == assessment.id,
            PendingSave.user_id == user.id,
            PendingSave.created_at >= utcnow() - LIFETIME,
        )
    )


def discard(token: str | None, assessment: Assessment) -> None:
    if token:
        db.session.execute(
            sa.delete(PendingSave).where(
                PendingSave.token_hash == _hash(token), PendingSave.assessment_id == assessment.id
            )
        )


@dataclass(frozen=True)
class UnsavedChange:
    """A question whose kept answer or note differs from what is stored now."""

    question_id: str
    value: str | None
    note: str
    saved_value: str | None
    saved_note: str


def unsaved_changes(
    question_ids: list[str], fields: dict[str, str], rows: dict[str, Answer]
) -> list[UnsavedChange]:
    changes = []
    for qid in question_ids:
        key = qid.replace(".", "__")
        if f"r__{key}" not in fields:
            continue  # the question was not on the posted page (hidden, disabled)
        value = fields.get(f"a__{key}") or None
        note = fields.get(f"n__{key}", "").replace("\r\n", "\n")
        row = rows.get(qid)
        saved_value, saved_note = (row.value, row.note) if row else (None, "")
        if (value is not None and value != saved_value) or note != saved_note:
            changes.append(UnsavedChange(qid, value, note, saved_value, saved_note))
    return changes


@dataclass(frozen=True)
class Restored:
    """What the step page shows about a kept save: when, and which questions it changes."""

    token: str
    kept_at: datetime
    changes: list[UnsavedChange]

    @property
    def question_ids(self) -> set[str]:
        return {c.question_id for c in self.changes}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
