"""Which catalog facts need checking again: entries not checked for 180 days, offers that ended.

Programs change (MS-ISAC became fee-based in October 2025; grant programs end), and a coordinator
approves requests on what the catalog says. Each entry carries the date its facts were last
checked; an administrator sees here which ones to check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.questionnaire.model import Questionnaire, Tool
from portal.questionnaire.words import N_, _

STALE_AFTER_DAYS = 180
CONFIDENCE_LABELS = {
    "verified": N_("Confirmed at the source"),
    "secondary": N_("From secondary sources: confirm"),
    "verify": N_("Not confirmed: check with the provider"),
}
# Less sure first: an entry from secondary sources goes stale in substance sooner.
CONFIDENCE_ORDER = {"verify": 0, "secondary": 1, "verified": 2}


@dataclass(frozen=True)
class EntryFreshness:
    tool: Tool
    age_days: int | None  # days since last checked; None when never
    stale: bool  # not checked for STALE_AFTER_DAYS (or never)
    ended: bool  # a time-limited offer past its end: no longer offered to anyone

    @property
    def needs_attention(self) -> bool:
        """Stale, or an offer that ended and nobody has checked since (is there a successor?)."""
        return self.stale or (self.ended and not self.checked_since_it_ended)

    @property
    def checked_since_it_ended(self) -> bool:
        ended_on = self.tool.available_until
        return (
            ended_on is not None and self.tool.checked is not None and self.tool.checked > ended_on
        )

    @property
    def confidence_label(self) -> str:
        label = CONFIDENCE_LABELS.get(self.tool.confidence)
        return _(label) if label is not None else self.tool.confidence


def catalog_freshness(questionnaire: Questionnaire, today: date) -> list[EntryFreshness]:
    """Every catalog entry: those needing attention first, then the least sure (``verify``,
    ``secondary``), then the longest unchecked."""
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
        key=lambda e: (
            not e.needs_attention,
            CONFIDENCE_ORDER.get(e.tool.confidence, 0),
            -(e.age_days if e.age_days is not None else 10**6),
            e.tool.id,
        )
    )
    return entries
