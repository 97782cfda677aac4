"""The plan's deadlines as an iCalendar file (RFC 5545), so they land in the calendar people
already use: one all-day event for each 30/60/90-day window that has actions, with a reminder a
week before. Made with the ``icalendar`` library.

Dates are days on the organization's own clock (a plan submitted late in the evening is not
due a day late). Each window's event keeps its UID (under the deployment's own domain) across
resubmissions, and its SEQUENCE grows with each submission, so a calendar that imported the
earlier file moves the event instead of keeping both."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from icalendar import Alarm, Calendar, Event

from portal.assessments.state import AssessmentState
from portal.extensions import db
from portal.mail.compose import link
from portal.models import AssessmentStatus, StatusChange, utcnow
from portal.remediation.planner import WINDOWS
from portal.templating import plural, window_due_date


def plan_calendar(state: AssessmentState) -> bytes:
    assessment = state.assessment
    assert assessment.submitted_at is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Readiness Portal//Remediation plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Cyber readiness plan — {assessment.organization.name}")
    results = link("assess.results", assessment_id=assessment.id)
    domain = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "readiness-portal"
    # Submissions so far, the first one included: grows each time the dates can move.
    submissions = db.session.scalar(
        sa.select(sa.func.count(StatusChange.id)).where(
            StatusChange.assessment_id == assessment.id,
            StatusChange.to_status == AssessmentStatus.SUBMITTED,
        )
    )
    for window in WINDOWS:
        actions = state.plan.in_window(window)
        if not actions:
            continue
        due = window_due_date(assessment, window)
        event = Event()
        event.add("uid", f"plan-{assessment.id}-{window}@{domain}")
        event.add("sequence", max(0, (submissions or 1) - 1))
        event.add("dtstamp", utcnow())
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add(
            "summary", f"Cyber plan: {plural(len(actions), 'action')} due ({window}-day window)"
        )
        event.add(
            "description",
            "\n".join(
                f"- {a.action.title}" + (" (critical)" if a.critical else "") for a in actions
            )
            + f"\n\nThe plan: {results}",
        )
        event.add("url", results)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Cyber plan actions due in a week ({window}-day window)")
        alarm.add("trigger", timedelta(days=-7))
        event.add_component(alarm)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
