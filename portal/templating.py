"""What templates share: labels for the ids the portal stores, plurals, dates. One place, so no
page shows a code ("water", "at_risk", "returned") where a person expects words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from portal import models
from portal.config import mail_enabled
from portal.questionnaire.sectors import SECTOR_LABELS
from portal.remediation.planner import WINDOW_BUDGET, spending

STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "returned": "Returned for revision",
    "accepted": "Accepted",
    "approved": "Approved",
    "denied": "Denied",
    "fulfilled": "Fulfilled",
}


def sector_label(sector_id: str) -> str:
    return SECTOR_LABELS.get(sector_id, sector_id)


def sector_labels(sector_ids: list[str]) -> str:
    return ", ".join(sector_label(s) for s in sector_ids)


def status_label(status: Any) -> str:
    value = getattr(status, "value", status)
    return STATUS_LABELS.get(value, str(value).replace("_", " ").capitalize())


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 question', '3 questions' ('2 analyses' with plural_form)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def format_datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    app.add_template_filter(sector_label)
    app.add_template_filter(sector_labels)
    app.add_template_filter(status_label)
    app.add_template_filter(plural)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(spending)

    @app.context_processor
    def labels() -> dict[str, Any]:
        return {
            "mail_on": mail_enabled(app.config),
            "SECTOR_LABELS": models.SECTOR_LABELS,
            "OWNERSHIP_LABELS": models.OWNERSHIP_LABELS,
            "SIZE_LABELS": models.SIZE_LABELS,
            "budget": WINDOW_BUDGET,
        }
