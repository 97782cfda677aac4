"""Which catalog facts need checking again: entries not checked for 180 days, offers that ended.

Programs change (MS-ISAC became fee-based in October 2025; grant programs end), and a coordinator
approves requests on what the catalog says. Each entry carries the date its facts were last
checked; an administrator sees here which ones to check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.questionnaire.model import Questionnaire, Tool

STALE_AFTER_DAYS = 180


@dataclass(frozen=True)
class EntryFreshness:
    tool: Tool
    age_days: int | None  # days since last checked; None when never
    stale: bool  # not checked for STALE_AFTER_DAYS (or never)
    ended: bool  # a time-limited offer past its end: no longer offered to anyone

    @property
    def needs_attention(self) -> bool:
        return self.stale or self.ended


def catalog_freshness(questionnaire: Questionnaire, today: date) -> list[EntryFreshness]:
    """Every catalog entry, those needing attention first, then the longest unchecked."""
    entries = []
    for tool in questionnaire.tools:
        age = (today - tool.checked).days if tool.checked is not None else None
        entries.append(
            EntryFreshness(
                tool,
                age,
                age is None or age > STALE_AFTER_DAYS,
                tool.available_until is not None and tool.available_until < today,
            )
        )
    entries.sort(
        key=lambda e: (not e.needs_attention, -(e.age_days if e.age_days is not None else 10**6))
    )
    return entries
