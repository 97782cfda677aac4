"""Answers posted after a login expired, kept so the person loses nothing by signing in again.

Bounded so that it cannot be used as free storage or to plant text (the caller also checks
that the post came from the portal's own page): only the fields of the step's own questions
(:func:`keepable_fields`), at most :data:`MAX_PER_USER` per person (the newest kept), gone after
:data:`LIFETIME`. What is kept comes back as "unsaved changes" on the step it was posted from,
shown and marked, never merged silently; a note too long to save comes back too, with the
message that says so, rather than being lost.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal import audit
from portal.assessments.reading import NOTE_MAX_LENGTH, small_int, storable
from portal.extensions import db
from portal.models import Answer, Assessment, PendingSave, User, utcnow
from portal.questionnaire.model import Question

LIFETIME = timedelta(days=7)
MAX_PER_USER = 3


def field_key(prefix: str, question_id: str) -> str:
    """The form field of a question: 'a__core__mfa' for the answer to core.mfa (a, n, r)."""
    return f"{prefix}__{question_id.replace('.', '__')}"


def keepable_fields(questions: list[Question], posted: dict[str, str]) -> dict[str, str]:
    """The posted fields worth keeping: those of ``questions`` only; an answer only if it is one
    of the question's options; a note only if it holds no control characters and is at most
    twice what a save takes (the restored page then says it is too long: nothing is lost)."""
    kept: dict[str, str] = {}
    for question in questions:
        value = posted.get(field_key("a", question.id))
        if value is not None and (value == "" or question.accepts(value)):
            kept[field_key("a", question.id)] = value
        note = posted.get(field_key("n", question.id))
        if note is not None:
            note = note.replace("\r\n", "\n")
            if len(note) <= 2 * NOTE_MAX_LENGTH and storable(note):
                kept[field_key("n", question.id)] = note
        revision = posted.get(field_key("r", question.id))
        if revision is not None and small_int(revision) is not None:
            kept[field_key("r", question.id)] = revision
    return kept


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


def restore(
    token: str, assessment: Assessment, user: User, step: int, rows: dict[str, Answer]
) -> Restored | None:
    """The unexpired save behind ``token``, if it is ``user``'s, for ``assessment`` and kept on
    this ``step``; with the questions whose kept answer or note differs from what is stored."""
    kept = db.session.scalar(
        sa.select(PendingSave).where(
            PendingSave.token_hash == _hash(token),
            PendingSave.assessment_id == assessment.id,
            PendingSave.user_id == user.id,
            PendingSave.step == step,
            PendingSave.created_at >= utcnow() - LIFETIME,
        )
    )
    if kept is None:
        return None
    return Restored(token, kept.created_at, kept.payload, unsaved_changes(kept.payload, rows))


def discard(token: str | None, assessment: Assessment, step: int) -> None:
    """Forget a kept save once the step it was kept for has been saved."""
    if token:
        db.session.execute(
            sa.delete(PendingSave).where(
                PendingSave.token_hash == _hash(token),
                PendingSave.assessment_id == assessment.id,
                PendingSave.step == step,
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


def unsaved_changes(fields: dict[str, str], rows: dict[str, Answer]) -> list[UnsavedChange]:
    changes = []
    for key in fields:
        if not key.startswith("r__"):
            continue  # each question on the posted page sent its revision
        qid = key[3:].replace("__", ".")
        value = fields.get(field_key("a", qid)) or None
        note = fields.get(field_key("n", qid), "")
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
    fields: dict[str, str]
    changes: list[UnsavedChange]

    @property
    def question_ids(self) -> set[str]:
        return {c.question_id for c in self.changes}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
