"""The tools catalog: each entry's eligibility, as data, says what its own note says.

Two checks. The table below is a reading of each note (and of the team's reference,
frameworks.md §7), one line per entry: who may have it, by sector, ownership and the profile
answers some offers depend on (a rural hospital; a utility that generates power). Each entry is
tried for every combination; an entry missing from the table, or one the data opens wider or
narrower, fails. And `test_the_notes_own_words_are_encoded` reads the notes themselves: a note
that says "rural", "power generation", "SLTT … only" or that banks are excluded must have that
restriction in its data — so a note edited without its data (or the reverse) fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from itertools import product

import pytest

from portal.questionnaire import Questionnaire
from portal.questionnaire.model import OWNERSHIPS, SECTORS, Tool

Profile = Mapping[str, str]
Rule = Callable[[str, str, Profile], bool]
ANYONE: Rule = lambda sector, ownership, profile: True  # noqa: E731
PUBLIC = ("public", "tribal")  # state, local, tribal and territorial (SLTT) entities
PROFILES: list[Profile] = [
    {"hospital.rural": rural, "electric.owns_generation": generation}
    for rural, generation in product(("yes", "no"), repeat=2)
]


def only_sectors(*sectors: str) -> Rule:
    return lambda sector, ownership, profile: sector in sectors


def sltt_only(sector: str, ownership: str, profile: Profile) -> bool:
    return ownership in PUBLIC


def rural_hospitals(sector: str, ownership: str, profile: Profile) -> bool:
    return sector == "hospital" and profile["hospital.rural"] == "yes"


ELIGIBLE: dict[str, Rule] = {
    "cisa_vuln_scanning": ANYONE,  # federal, SLTT, public and private critical infrastructure
    "cisa_web_app_scanning": ANYONE,
    "cisa_phishing_assessment": ANYONE,
    "cisa_remote_pen_test": ANYONE,  # capacity-limited, but open to all
    "cisa_rva": ANYONE,
    "cisa_crr": ANYONE,
    "cisa_csa_visit": ANYONE,
    "cisa_kev_catalog": ANYONE,  # public
    # "on a limited basis" through a CI pilot: hospitals, water and power generation.
    "cisa_protective_dns": lambda sector, ownership, profile: (
        sector in ("hospital", "water")
        or (sector == "electric" and profile["electric.owns_generation"] == "yes")
    ),
    # significant control systems supporting national critical functions: water and power.
    "cisa_cybersentry": only_sectors("water", "electric"),
    "cisa_cset": ANYONE,
    "cisa_training": ANYONE,
    "cisa_ai_defense_tools": ANYONE,
    "treasury_ai_clearinghouse": ANYONE,
    # CIS's own no-cost branch: U.S. hospitals, public or private (cisecurity.org/hospitals).
    "cis_mdbr_hospitals": only_sectors("hospital"),
    # SLTT MS-ISAC members only, paid membership since October 2025.
    "cis_mdbr_sltt": sltt_only,
    "ms_isac_membership": sltt_only,
    "cis_albert": sltt_only,
    "sltt_edr_program": sltt_only,
    "sector_isac": only_sectors("hospital", "bank", "water"),
    # electricity asset owners and operators, co-ops and municipals included: no fee.
    "e_isac": only_sectors("electric"),
    "hhs_405d": only_sectors("hospital"),
    "rural_hospital_program": rural_hospitals,
    "rural_hospital_free_year": rural_hospitals,
    "csbs_rsat": only_sectors("bank"),
    "doe_c2m2": only_sectors("electric"),
    # co-ops, municipal (public) and small investor-owned (private) electric utilities.
    "doe_rmuc": lambda sector, ownership, profile: (
        sector == "electric" and ownership in ("cooperative", "public", "private")
    ),
    "epa_water_ta": only_sectors("water"),
    "awwa_assessment_tool": only_sectors("water"),
    "slcgp_grant": sltt_only,
    "state_cyber_assistance": ANYONE,  # varies by state; the state decides
    # NRECA member co-ops (cooperative.com RC3 pages).
    "nreca_rc3": lambda sector, ownership, profile: (
        sector == "electric" and ownership == "cooperative"
    ),
    # public power (municipal) utilities, APPA's DOE cooperative agreements.
    "appa_cyber_programs": lambda sector, ownership, profile: (
        sector == "electric" and ownership == "public"
    ),
    # small U.S. water, electric and gas utilities, any ownership.
    "dragos_community_defense": only_sectors("water", "electric"),
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
    "cisa_protective_dns",  # a pilot nobody can count on: information, not a request
}
# What each entry costs and who says yes (the coordinator only for what the state gives).
COST: dict[str, str] = {
    "ms_isac_membership": "membership",
    "cis_mdbr_sltt": "membership",
    "sector_isac": "membership",
    "cis_albert": "paid",
    "sltt_edr_program": "paid",
    "rural_hospital_program": "paid",
    "cisa_protective_dns": "pilot",
    "doe_rmuc": "grant",
    "slcgp_grant": "grant",
}
STATE_DECIDES = {"slcgp_grant", "state_cyber_assistance"}


def test_every_entry_is_in_the_table(questionnaire: Questionnaire) -> None:
    assert {t.id for t in questionnaire.tools} == set(ELIGIBLE)


@pytest.mark.parametrize("tool_id", sorted(ELIGIBLE))
def test_eligibility_agrees_with_the_note(questionnaire: Questionnaire, tool_id: str) -> None:
    tool = next(t for t in questionnaire.tools if t.id == tool_id)
    expected = ELIGIBLE[tool_id]
    wrong = [
        (sector, ownership, dict(profile))
        for sector in SECTORS
        for ownership in OWNERSHIPS
        for profile in PROFILES
        if tool.is_eligible([sector], ownership, profile) != expected(sector, ownership, profile)
    ]
    assert not wrong, f"{tool_id}: the data disagrees with the note for {wrong}"
    assert tool.requestable is (tool_id not in RESOURCES)
    assert tool.cost == COST.get(tool_id, "free"), tool_id
    assert tool.state_decides is (tool_id in STATE_DECIDES), tool_id


def test_every_entry_names_a_source_or_says_nothing_is_published(
    questionnaire: Questionnaire,
) -> None:
    """A fact without a page behind it is marked: the programs of the order and the state's own
    program have none to name (their notes say so)."""
    unsourced = {t.id for t in questionnaire.tools if not t.source}
    assert unsourced == {
        "cisa_ai_defense_tools",
        "treasury_ai_clearinghouse",
        "rural_hospital_program",
        "rural_hospital_free_year",
        "state_cyber_assistance",
    }
    for tool in questionnaire.tools:
        if not tool.source:
            assert tool.confidence in ("secondary", "verify"), tool.id


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
    assert tools["ms_isac_membership"].cost == "membership"
    assert "October 2025" in tools["ms_isac_membership"].eligibility_note
    assert "2026" in tools["slcgp_grant"].eligibility_note
    assert tools["rural_hospital_free_year"].available_until == date(2025, 6, 30)
    assert "pilot" in tools["cisa_protective_dns"].eligibility_note
    # MDBR: the hospital branch is CIS's own and free; the public one needs paid membership,
    # each said with the date it was checked, and a private hospital is not sent to the
    # public-sector page.
    hospitals, sltt = tools["cis_mdbr_hospitals"], tools["cis_mdbr_sltt"]
    assert hospitals.free and "hospitals" in hospitals.url and "ms-isac" not in hospitals.url
    assert sltt.cost == "membership" and "October 2025" in sltt.eligibility_note
    for tool in (hospitals, sltt, tools["ms_isac_membership"]):
        assert "checked December 6, 2026" in " ".join(tool.eligibility_note.split())
        assert tool.checked == date(2026, 12, 6)


def _admitted(tool: Tool) -> list[tuple[str, str, Profile]]:
    return [
        (sector, ownership, profile)
        for sector in SECTORS
        for ownership in OWNERSHIPS
        for profile in PROFILES
        if tool.is_eligible([sector], ownership, profile)
    ]


# (words in a note, what the data must then say about everyone it admits, why)
NOTE_SIGNALS: list[tuple[str, Callable[[str, str, Profile], bool], str]] = [
    (
        r"\b[Rr]ural\b(?! areas)",
        lambda sector, ownership, profile: (
            sector != "hospital" or profile["hospital.rural"] == "yes"
        ),
        "a rural-only offer must ask whether the hospital is rural",
    ),
    (
        r"power generation",
        lambda sector, ownership, profile: (
            sector != "electric" or profile["electric.owns_generation"] == "yes"
        ),
        "an offer for power generation must ask whether the utility generates power",
    ),
    (
        r"\bSLTT\b[^.]*\bonly\b|\bonly\b[^.]*\bSLTT\b|^SLTT government entities",
        lambda sector, ownership, profile: ownership in PUBLIC or sector == "hospital",
        "an SLTT-only offer must be closed to private, non-profit and co-op owners "
        "(MDBR's hospital branch aside)",
    ),
    (
        r"banks were not|Private banks",
        lambda sector, ownership, profile: not (sector == "bank" and ownership == "private"),
        "a note that excludes banks must not admit them",
    ),
]


@pytest.mark.parametrize(
    ("pattern", "holds", "why"), NOTE_SIGNALS, ids=[s[0] for s in NOTE_SIGNALS]
)
def test_the_notes_own_words_are_encoded(
    questionnaire: Questionnaire, pattern: str, holds: Callable[[str, str, Profile], bool], why: str
) -> None:
    saying = [
        t for t in questionnaire.tools if re.search(pattern, " ".join(t.eligibility_note.split()))
    ]
    assert saying, f"no note says {pattern!r}: the signal tests nothing"
    for tool in saying:
        wrong = [a for a in _admitted(tool) if not holds(*a)]
        assert not wrong, f"{tool.id}: {why}; admitted {wrong[:3]}"


def test_the_note_reader_catches_the_expert_s_cases(questionnaire: Questionnaire) -> None:
    """Without their conditions, the rural programs and Protective DNS fail the signals above."""
    from dataclasses import replace

    from portal.questionnaire.model import EligibilityRule

    loose = EligibilityRule(frozenset({"hospital", "water", "electric"}), None)
    dns = replace(
        next(t for t in questionnaire.tools if t.id == "cisa_protective_dns"), rules=(loose,)
    )
    _, holds, _ = NOTE_SIGNALS[1]
    assert any(not holds(*a) for a in _admitted(dns))
