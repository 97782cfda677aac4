"""What templates share: labels for the ids the portal stores, plurals, dates. One place, so no
page shows a code ("water", "at_risk", "returned") where a person expects words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from flask_login import current_user

from portal import i18n, models
from portal.config import mail_enabled
from portal.geography import STATES, plan_due_date, time_zone_of_state
from portal.kev.matching import TRIAGE_LABELS, TriageState, advisory_url, cisa_days, plain_kind
from portal.remediation.planner import WINDOW_BUDGET, spending

STATUS_LABELS = {
    "draft": lazy_gettext("Draft"),
    "submitted": lazy_gettext("Submitted"),
    "returned": lazy_gettext("Returned for revision"),
    "accepted": lazy_gettext("Accepted"),
    "approved": lazy_gettext("Approved"),
    "denied": lazy_gettext("Denied"),
    "fulfilled": lazy_gettext("Fulfilled"),
}
ROLE_LABELS = {
    "operator": lazy_gettext("Operator"),
    "coordinator": lazy_gettext("Coordinator"),
    "admin": lazy_gettext("Admin"),
}


def role_label(role: Any) -> str:
    value = getattr(role, "value", role)
    return str(ROLE_LABELS.get(value, value))


def sector_label(sector_id: str) -> str:
    return str(models.SECTOR_LABELS.get(sector_id, sector_id))


def sector_labels(sector_ids: list[str]) -> str:
    return ", ".join(sector_label(s) for s in sector_ids)


def status_label(status: Any) -> str:
    value = getattr(status, "value", status)
    label = STATUS_LABELS.get(value)
    return str(label) if label is not None else str(value).replace("_", " ").capitalize()


def state_time_zone(state: str | None) -> ZoneInfo:
    """The clock of a state (its main zone), else the deployment's ``PORTAL_TIME_ZONE``."""
    return ZoneInfo(time_zone_of_state(state) or current_app.config["PORTAL_TIME_ZONE"])


def time_zone_of(user: models.User) -> ZoneInfo:
    """The one clock a person reads (#34): an operator's, their organization's state's; a
    coordinator's, their (first) jurisdiction's state's; else the deployment's. Pages, the
    autosave message and mail to that person all use it."""
    state = None
    if user.organization is not None:
        state = user.organization.state
    elif user.jurisdictions:  # the first made, so it does not vary by page
        state = min(user.jurisdictions, key=lambda j: j.id).state
    return state_time_zone(state)


def viewer_time_zone() -> ZoneInfo:
    """The zone of the person looking (:func:`time_zone_of`), once per request."""
    zone = g.get("portal_time_zone")
    if zone is None:
        if current_user and current_user.is_authenticated:
            zone = time_zone_of(current_user)
        else:
            zone = state_time_zone(None)
        g.portal_time_zone = zone
    return zone


def _on_clock(value: datetime, zone: ZoneInfo) -> datetime:
    """A stored time (naive means UTC, as SQLite returns it) on ``zone``'s clock."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def local_datetime(value: datetime | None, zone: ZoneInfo) -> str:
    """'Dec 2, 2026, 9:14 AM EST': a stored time (naive means UTC, as SQLite returns it) on the
    reader's clock, with the zone named."""
    if value is None:
        return ""
    local = _on_clock(value, zone)
    if i18n.reading_language() != "en":  # "2 dic 2026, 9:14 EST": a 24-hour clock
        return f"{i18n.format_day(local)}, {local:%H:%M} {local.tzname()}"
    hour = local.strftime("%I").lstrip("0")
    return f"{i18n.format_day(local)}, {hour}:{local:%M %p} {local.tzname()}"


def format_datetime(value: datetime | None) -> str:
    return local_datetime(value, viewer_time_zone())


def format_time(value: datetime) -> str:
    """'9:14 AM EST': a moment today, on the reader's clock."""
    return local_datetime(value, viewer_time_zone()).split(", ")[-1]


def local_day(value: datetime, zone: ZoneInfo) -> date:
    """The day of a stored time on ``zone``'s clock."""
    return _on_clock(value, zone).date()


def local_date(value: datetime | None, zone: ZoneInfo) -> str:
    """'Dec 2, 2026': the day of a stored time on ``zone``'s clock."""
    if value is None:
        return ""
    return i18n.format_day(_on_clock(value, zone))


def format_date(value: datetime | None) -> str:
    """'Dec 2, 2026': the day on the reader's clock."""
    return local_date(value, viewer_time_zone())


def window_due_date(assessment: models.Assessment, window: int) -> date:
    """The last day of the plan's ``window``-day window, on the organization's clock."""
    assert assessment.submitted_at is not None
    return plan_due_date(
        assessment.submitted_at,
        window,
        assessment.organization.state,
        current_app.config["PORTAL_TIME_ZONE"],
    )


def request_name(request: models.ToolRequest) -> str:
    """What a person calls a tool request: 'Request of Dec 2, 2026 (3 services)'."""
    sent = format_date(request.created_at)
    return ngettext(
        "Request of %(date)s (%(num)d service)",
        "Request of %(date)s (%(num)d services)",
        len(request.items),
        date=sent,
    )


def init_app(app: Flask) -> None:
    app.add_template_filter(sector_label)
    app.add_template_filter(sector_labels)
    app.add_template_filter(status_label)
    app.add_template_global(role_label)
    app.add_template_filter(lambda code: STATES.get(code, code), "state_name")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(spending)
    app.add_template_filter(request_name)
    # Known-exploited flaws in plain words (portal/kev/matching.py).
    app.add_template_filter(plain_kind)
    app.add_template_filter(cisa_days)
    app.add_template_filter(advisory_url, "advisory")
    app.add_template_filter(lambda state: _(TRIAGE_LABELS[TriageState(state)]), "triage_label")

    @app.context_processor
    def labels() -> dict[str, Any]:
        return {
            "mail_on": mail_enabled(app.config),
            "SECTOR_LABELS": models.SECTOR_LABELS,
            "OWNERSHIP_LABELS": models.OWNERSHIP_LABELS,
            "SIZE_LABELS": models.SIZE_LABELS,
            "budget": WINDOW_BUDGET,
            "official_site": app.config["PORTAL_OFFICIAL_GOV"],
        }
