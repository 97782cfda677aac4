"""The plan's deadlines as an iCalendar file (RFC 5545), so they land in the calendar people
already use: one all-day event for this week's steps (due a week after submission, reminded
the day before) and one for each 30/60/90-day window that has actions, with a reminder a week
before, in the plan's order. Made with the ``icalendar`` library.

Dates are days on the organization's own clock (a plan submitted late in the evening is not
due a day late). Each window's event keeps its UID (under the deployment's own domain) across
resubmissions, and its SEQUENCE grows with each submission, so a calendar that imported the
earlier file moves the event instead of keeping both."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from icalendar import Alarm, Calendar, Event

from portal.assessments.state import AssessmentState
from portal.extensions import db
from portal.mail.compose import link
from portal.models import AssessmentStatus, StatusChange, utcnow
from portal.remediation.planner import WINDOWS
from portal.templating import window_due_date

THIS_WEEK_DAYS = 7


def plan_calendar(state: AssessmentState) -> bytes:
    assessment = state.assessment
    assert assessment.submitted_at is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Readiness Portal//Remediation plan//EN")
    calendar.add("version", "2.0")
    calendar.add(
        "x-wr-calname", _("Cyber readiness plan — %(name)s", name=assessment.organization.name)
    )
    results = link("assess.results", assessment_id=assessment.id)
    domain = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "readiness-portal"
    # Submissions so far, the first one included: grows each time the dates can move.
    submissions = db.session.scalar(
        sa.select(sa.func.count(StatusChange.id)).where(
            StatusChange.assessment_id == assessment.id,
            StatusChange.to_status == AssessmentStatus.SUBMITTED,
        )
    )
    sequence = max(0, (submissions or 1) - 1)

    def add_event(
        key: str, days: int, summary: str, lines: list[str], reminder: str, ahead: int
    ) -> None:
        due = window_due_date(assessment, days)
        event = Event()
        event.add("uid", f"plan-{assessment.id}-{key}@{domain}")
        event.add("sequence", sequence)
        event.add("dtstamp", utcnow())
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", summary)
        event.add("description", "\n".join(lines) + "\n\n" + _("The plan: %(url)s", url=results))
        event.add("url", results)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", reminder)
        alarm.add("trigger", timedelta(days=-ahead))
        event.add_component(alarm)
        calendar.add_component(event)

    week = state.plan.this_week
    if week:  # the steps measured in hours come first, as in the plan
        steps = f"{len(week):,}"
        add_event(
            "week",
            THIS_WEEK_DAYS,
            ngettext(
                "Cyber plan: %(count)s step for this week",
                "Cyber plan: %(count)s steps for this week",
                len(week),
                count=steps,
            ),
            [f"- {_line(s.title, s.critical)}" for s in week],
            _("This week's cyber plan steps are due tomorrow"),
            1,
        )
    for window in WINDOWS:
        actions = state.plan.in_window(window)
        if actions:
            count = f"{len(actions):,}"
            add_event(
                str(window),
                window,
                ngettext(
                    "Cyber plan: %(count)s action due (%(window)s-day window)",
                    "Cyber plan: %(count)s actions due (%(window)s-day window)",
                    len(actions),
                    count=count,
                    window=window,
                ),
                [f"- {_line(a.action.title, a.critical)}" for a in actions],
                _("Cyber plan actions due in a week (%(window)s-day window)", window=window),
                7,
            )
    data: bytes = calendar.to_ical()
    return data


def _line(title: str, critical: bool) -> str:
    """A step or action of the event's list, marked when critical."""
    return _("%(title)s (critical)", title=title) if critical else title
