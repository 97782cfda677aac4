"""The tools catalog: each entry's eligibility, as data, says what its own note says.

The table below is written from the notes (and the team's reference, frameworks.md §7), one
line per entry: who may have it. Each entry is tried for every sector and ownership; an entry
missing from the table, or one the data opens wider or narrower than its note, fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from portal.questionnaire import Questionnaire
from portal.questionnaire.model import OWNERSHIPS, SECTORS

Rule = Callable[[str, str], bool]
ANYONE: Rule = lambda sector, ownership: True  # noqa: E731
PUBLIC = ("public", "tribal")  # state, local, tribal and territorial (SLTT) entities


def only_sectors(*sectors: str) -> Rule:
    return lambda sector, ownership: sector in sectors


def sltt_only(sector: str, ownership: str) -> bool:
    return ownership in PUBLIC


ELIGIBLE: dict[str, Rule] = {
    "cisa_vuln_scanning": ANYONE,  # federal, SLTT, public and private critical infrastructure
    "cisa_web_app_scanning": ANYONE,
    "cisa_phishing_assessment": ANYONE,
    "cisa_remote_pen_test": ANYONE,  # capacity-limited, but open to all
    "cisa_rva": ANYONE,
    "cisa_crr": ANYONE,
    "cisa_csa_visit": ANYONE,
    "cisa_kev_catalog": ANYONE,  # public
    # "on a limited basis" through a CI pilot: hospitals, water and power were the pilots.
    "cisa_protective_dns": only_sectors("hospital", "water", "electric"),
    # significant control systems supporting national critical functions: water and power.
    "cisa_cybersentry": only_sectors("water", "electric"),
    "cisa_cset": ANYONE,
    "cisa_training": ANYONE,
    "cisa_ai_defense_tools": ANYONE,
    "treasury_ai_clearinghouse": ANYONE,
    # hospitals of any ownership, or SLTT public entities; not private banks, co-ops or IOUs.
    "cis_mdbr": lambda sector, ownership: sector == "hospital" or ownership in PUBLIC,
    "ms_isac_membership": sltt_only,
    "cis_albert": sltt_only,
    "sltt_edr_program": sltt_only,
    "sector_isac": ANYONE,
    "hhs_405d": only_sectors("hospital"),
    "rural_hospital_program": only_sectors("hospital"),
    "rural_hospital_free_year": only_sectors("hospital"),
    "csbs_rsat": only_sectors("bank"),
    "doe_c2m2": only_sectors("electric"),
    # co-ops, municipal (public) and small investor-owned (private) electric utilities.
    "doe_rmuc": lambda sector, ownership: (
        sector == "electric" and ownership in ("cooperative", "public", "private")
    ),
    "epa_water_ta": only_sectors("water"),
    "awwa_assessment_tool": only_sectors("water"),
    "slcgp_grant": sltt_only,
    "state_cyber_assistance": ANYONE,  # varies by state; the state decides
}
# Nothing to request: a public list, downloads, programs with no published way in.
RESOURCES = {
    "cisa_kev_catalog",
    "treasury_ai_clearinghouse",
    "cisa_ai_defense_tools",
    "cisa_cset",
    "cisa_training",
    "hhs_405d",
    "csbs_rsat",
    "awwa_assessment_tool",
}


def test_every_entry_is_in_the_table(questionnaire: Questionnaire) -> None:
    assert {t.id for t in questionnaire.tools} == set(ELIGIBLE)


@pytest.mark.parametrize("tool_id", sorted(ELIGIBLE))
def test_eligibility_agrees_with_the_note(questionnaire: Questionnaire, tool_id: str) -> None:
    tool = next(t for t in questionnaire.tools if t.id == tool_id)
    expected = ELIGIBLE[tool_id]
    wrong = [
        (sector, ownership)
        for sector in SECTORS
        for ownership in OWNERSHIPS
        if tool.is_eligible([sector], ownership) != expected(sector, ownership)
    ]
    assert not wrong, f"{tool_id}: the data disagrees with the note for {wrong}"
    assert tool.requestable is (tool_id not in RESOURCES)


def test_every_entry_says_when_it_was_checked_and_none_is_stale(
    questionnaire: Questionnaire,
) -> None:
    """Entries carry the date their facts were last checked; one older than 180 days shows to
    admins (tests/test_admin.py). The shipped catalog is fresh."""
    for tool in questionnaire.tools:
        assert tool.checked is not None, tool.id
        assert date(2026, 12, 1) - tool.checked < timedelta(days=180), tool.id


def test_the_facts_the_expert_flagged_are_current(questionnaire: Questionnaire) -> None:
    tools = {t.id: t for t in questionnaire.tools}
    assert tools["ms_isac_membership"].cost == "fee"
    assert "October 2025" in tools["ms_isac_membership"].eligibility_note
    assert "2026" in tools["slcgp_grant"].eligibility_note
    assert tools["rural_hospital_free_year"].available_until == date(2025, 6, 30)
    assert "pilot" in tools["cisa_protective_dns"].eligibility_note
