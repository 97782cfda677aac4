"""Catalog freshness: what an administrator is told to check again."""

from __future__ import annotations

from datetime import date, timedelta

from portal.questionnaire import Questionnaire
from portal.questionnaire.freshness import STALE_AFTER_DAYS, catalog_freshness


def test_every_entry_carries_the_date_it_was_last_checked(questionnaire: Questionnaire) -> None:
    assert all(tool.checked is not None for tool in questionnaire.tools)


def test_entries_older_than_180_days_and_ended_offers_come_first(
    questionnaire: Questionnaire,
) -> None:
    newest = max(t.checked for t in questionnaire.tools if t.checked)
    oldest = min(t.checked for t in questionnaire.tools if t.checked)
    on_time = catalog_freshness(questionnaire, newest + timedelta(days=STALE_AFTER_DAYS))
    assert not any(e.stale for e in on_time if e.tool.checked == newest)

    later = oldest + timedelta(days=STALE_AFTER_DAYS + 1)
    entries = catalog_freshness(questionnaire, later)
    stale = [e for e in entries if e.stale]
    assert stale and all(e.age_days is not None and e.age_days > 180 for e in stale)
    flags = [e.needs_attention for e in entries]
    assert flags == sorted(flags, reverse=True)  # attention first


def test_the_2024_rural_hospital_offer_shows_as_ended(questionnaire: Questionnaire) -> None:
    entries = {e.tool.id: e for e in catalog_freshness(questionnaire, date(2026, 12, 1))}
    ended = entries["rural_hospital_free_year"]
    assert ended.ended and ended.needs_attention
    assert ended.tool.available_until == date(2025, 6, 30)
    assert not entries["cisa_vuln_scanning"].ended
