"""Scheduled reminders (``flask reminders send``, once a day from cron): each goes once per
event and person, however often the command runs — the outbox's dedupe key is the event.

- a draft untouched for :data:`DRAFT_IDLE` (the event: the draft at its last change);
- a re-assessment due :data:`REASSESS_AFTER` after the last accepted submission;
- plan actions whose 30/60/90-day window (counted from submission) ends within
  :data:`WINDOW_WARNING`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal import i18n
from portal.assessments import state as assessment_state
from portal.extensions import db
from portal.mail import preferences
from portal.mail.compose import link, one_line, worded
from portal.mail.outbox import queue
from portal.models import (
    EDITABLE_STATUSES,
    Assessment,
    AssessmentStatus,
    Role,
    User,
    utcnow,
)
from portal.remediation.planner import WINDOWS
from portal.templating import local_date, state_time_zone, window_due_date

DRAFT_IDLE = timedelta(days=14)
REASSESS_AFTER = timedelta(days=365)
WINDOW_WARNING = timedelta(days=7)


@dataclass
class Sent:
    draft_idle: int = 0
    reassess: int = 0
    plan_window: int = 0
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"reminders queued: {self.draft_idle} idle draft, {self.reassess} re-assessment, "
            f"{self.plan_window} plan window"
        )


def send_all(now: datetime | None = None) -> Sent:
    now = now or utcnow()
    sent = Sent()
    sent.draft_idle = _idle_drafts(now)
    sent.reassess = _reassessments_due(now)
    sent.plan_window = _plan_windows_ending(now)
    return sent


def _recipients(organization_id: int) -> list[User]:
    people = db.session.scalars(
        sa.select(User).where(
            User.organization_id == organization_id, User.is_active, User.role == Role.OPERATOR
        )
    ).all()
    settings = preferences.settings_of([u.id for u in people], "reminders")
    return [u for u in people if settings[u.id] == "on"]


def _remind(
    assessment: Assessment,
    event: str,
    kind: str,
    facts: dict[str, Any],
    action_url: str,
    rows: Callable[[], Sequence[Any]] = tuple,
) -> int:
    """Remind the organization's operators, in the words of ``kind``, once per ``event``, each
    in their own language (``rows()`` is made again in it: the plan's actions are words too)."""
    queued = 0
    for person in _recipients(assessment.organization_id):
        with i18n.speaking_to(person):
            words = worded(kind, name=one_line(person.full_name, 80), **facts)
            message = words.message(
                kind,
                person.email,
                items=words.items(rows()),
                action_url=action_url,
                topic="reminders",
                unsubscribe_url=preferences.unsubscribe_url(person, "reminders"),
                preferences_url=link("auth.notifications"),
            )
            row = queue(
                message,
                user_id=person.id,
                organization_id=assessment.organization_id,
                dedupe_key=f"{event}:{person.id}",
            )
        queued += row is not None
    return queued


@dataclass(frozen=True)
class _LocalDate:
    """A day on a clock, written in the language of the message it goes into."""

    moment: datetime | None
    zone: Any

    def __str__(self) -> str:
        return local_date(self.moment, self.zone)


def _actions_in(assessment: Assessment, window: int) -> Sequence[Any]:
    """The plan's actions due in ``window``, in the words of the language being written."""
    return assessment_state.load(assessment).plan.in_window(window)


def _idle_drafts(now: datetime) -> int:
    drafts = db.session.scalars(
        sa.select(Assessment).where(
            Assessment.status.in_(EDITABLE_STATUSES), Assessment.updated_at < now - DRAFT_IDLE
        )
    ).all()
    queued = 0
    for draft in drafts:
        days = (now - draft.updated_at).days
        returned = draft.status is AssessmentStatus.RETURNED
        queued += _remind(
            draft,
            f"draft-idle:{draft.id}:{draft.updated_at:%Y%m%d%H%M%S}",
            "reminder_draft",
            {"returned": returned, "days": days},
            link("assess.show", assessment_id=draft.id),
        )
    return queued


def _reassessments_due(now: datetime) -> int:
    latest = db.session.scalars(
        sa.select(Assessment).where(
            Assessment.is_latest_submission,
            Assessment.status == AssessmentStatus.ACCEPTED,
            Assessment.submitted_at < now - REASSESS_AFTER,
        )
    ).all()
    queued = 0
    for assessment in latest:
        open_draft = db.session.scalar(
            sa.select(Assessment.id).where(
                Assessment.organization_id == assessment.organization_id,
                Assessment.status.in_(EDITABLE_STATUSES),
            )
        )
        if open_draft is not None:
            continue  # the idle-draft reminder speaks for it
        queued += _remind(
            assessment,
            f"reassess:{assessment.id}",
            "reminder_reassess",
            {
                # Formatted when written, in each recipient's language.
                "submitted": _LocalDate(
                    assessment.submitted_at, state_time_zone(assessment.organization.state)
                ),
                "score": assessment.overall_score,
            },
            link("assess.index"),
        )
    return queued


def _plan_windows_ending(now: datetime) -> int:
    queued = 0
    for window in WINDOWS:
        # Submitted between `window` and `window - 7` days ago: the window ends within 7 days.
        latest = db.session.scalars(
            sa.select(Assessment).where(
                Assessment.is_latest_submission,
                Assessment.submitted_at > now - timedelta(days=window),
                Assessment.submitted_at <= now - timedelta(days=window) + WINDOW_WARNING,
            )
        ).all()
        for assessment in latest:
            assert assessment.submitted_at is not None
            actions = assessment_state.load(assessment).plan.in_window(window)
            if not actions:
                continue
            due = window_due_date(assessment, window)
            queued += _remind(
                assessment,
                f"plan-window:{assessment.id}:{window}",
                "reminder_plan_window",
                {"window": window, "due": due, "actions": actions},
                link("assess.results", assessment_id=assessment.id),
                functools.partial(_actions_in, assessment, window),
            )
    return queued
