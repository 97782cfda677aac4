"""The plan's deadlines as an iCalendar file (RFC 5545), so they land in the calendar people
already use: one all-day event for each 30/60/90-day window that has actions, with a reminder a
week before. Made with the ``icalendar`` library."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Alarm, Calendar, Event

from portal.assessments.state import AssessmentState
from portal.mail.compose import link
from portal.models import utcnow
from portal.remediation.planner import WINDOWS


def plan_calendar(state: AssessmentState) -> bytes:
    assessment = state.assessment
    assert assessment.submitted_at is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Readiness Portal//Remediation plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Cyber readiness plan — {assessment.organization.name}")
    results = link("assess.results", assessment_id=assessment.id)
    for window in WINDOWS:
        actions = state.plan.in_window(window)
        if not actions:
            continue
        due = (assessment.submitted_at + timedelta(days=window)).date()
        event = Event()
        event.add("uid", f"plan-{assessment.id}-{window}@readiness-portal")
        event.add("dtstamp", utcnow())
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", f"Cyber plan: {len(actions)} action(s) due ({window}-day window)")
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
