"""A hand-built Ohio program whose every county figure is known in advance (#33).

Rows are written as a submission stores them (the stored score, the critical-gap rows, the
latest-submission flag), so the figures read exactly what the portal's own submissions leave.

- Franklin County (39049, metro, RUCC 1): 6 organizations, one running water *and* power (it
  counts once). Scores 30, 50, 60, 70, 80, 90: median 65. Five submitted in the last 12 months,
  one 400 days ago: 83 %. Critical gaps at 30 and 50: 33 %. Three run FortiOS with its one
  known-exploited flaw — one settled for the version it runs (not exposed), one settled for an
  older version (exposed again), one never settled (exposed): 33 %.
- Pike County (39131, rural, RUCC 9): 3 organizations, all assessed: too few for every measure.
- Lake County (39085, metro): 5 organizations, 2 assessed: 40 % assessed; the score and gap
  measures rest on 2 organizations, too few to show; nobody exposed: 0 %.
- The World's Alpha Hospital typed "Pine" (no such county in Ohio): not on the map.

Answers (what most organizations miss): remote-access MFA (critical, CPG 3.F) is answered by all
11 submissions — 4 "no", 2 "I don't know", 1 "partly": 6 of 11 missed, 55 %; in metro counties
(Franklin, Lake) 5 of 8, 62 %; rural Pike has 3 answers, too few to list. The outside scan
(CPG 3.S and 2.B; CISA's scanning services close it) is missed once in 11: 9 %.

Progress: the first Franklin member was assessed 200 days earlier too (score 20; remote-access
MFA and exposed services critical gaps): assessed again within 12 months, scored higher, one
critical gap closed (exposed services). Standing now: 11 organizations, median 60, 4 of 11 with a
critical gap (36 %).

Grant pack (the 12 months to today): 15 organizations registered in Ohio (the 14 above and the
World's Alpha Hospital), 10 assessed in the period (all but the one assessed 400 days ago and the
four never assessed). Ten report (an assessment in the 12 months to the period's end; not the
one of 400 days ago). Tabletop: 2 of the 4 asked (a "yes", and a "partly" held within 6
months; not the one over 12 months ago, nor "Never"), 6 not asked. Operations-based exercise 1
of 2 (a full-scale one). Phishing 1 of 1: the answer given before 2026.5 (practice phishing
"yes") is a different question, so "not asked". Role-based for every role 1 of 2 ("some roles"
is not). Awareness 2 of 2. CPG: at least half the goals answered met by 7 of 10. Kind of
entity: local 6, state 1, not a government 1, public but level not reported 7 (the World's
hospital among them). Local and state bodies: 7, all assessed in the period. Rural 3 (Pike: too
few to break down), metro 11, not classified 1 (Alpha's "Pine"). The first Franklin member
answered six CPG goals (3.F, 3.S, 2.B not met; 1.C, 6.A, 3.J met): 50 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from portal import questionnaire_versions
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentStatus,
    InventoryItem,
    KevTriage,
    Organization,
    utcnow,
)
from tests.factories import add_fortios_entry


@dataclass(frozen=True)
class Member:
    county: str
    fips: str
    score: int | None  # None: registered, never submitted
    days_ago: int = 30
    gap: bool = False
    kev: str = ""  # "", "settled", "stale", "open"
    sectors: tuple[str, ...] = ("water",)
    mfa: str = "yes"  # core.mfa_remote_email
    scan: str = "yes"  # core.external_scan
    # An earlier submission: (days ago, score, its critical gaps).
    earlier: tuple[int, int, tuple[str, ...]] | None = None
    facts: tuple[tuple[str, str], ...] = ()  # more answers (question id, value)


LOCAL = ("core.government_level", "local")


MEMBERS = (
    Member(
        "Franklin",
        "39049",
        30,
        gap=True,
        kev="open",
        mfa="no",
        scan="no",
        earlier=(200, 20, ("core.mfa_remote_email", "core.no_exposed_services")),
        facts=(
            LOCAL,
            ("core.incident_exercise", "yes"),
            ("core.operations_exercise", "full_scale"),
            ("core.phishing_training", "yes"),
            ("core.role_based_training", "yes"),
            ("core.security_training", "yes"),
            ("core.no_exposed_services", "none"),  # the earlier gap, now in place
        ),
    ),
    Member(
        "Franklin",
        "39049",
        50,
        gap=True,
        kev="stale",
        mfa="no",
        facts=(
            LOCAL,
            ("core.incident_exercise", "partly"),
            ("core.exercise_when", "within_6m"),
            ("core.operations_exercise", "no"),
            ("core.role_based_training", "partly"),
        ),
    ),
    Member(
        "Franklin",
        "39049",
        60,
        kev="settled",
        mfa="dont_know",
        facts=(LOCAL, ("core.incident_exercise", "partly"), ("core.exercise_when", "over_12m")),
    ),
    Member(
        "Franklin",
        "39049",
        70,
        sectors=("water", "electric"),
        facts=(("core.government_level", "state"), ("core.phishing_practice", "yes")),
    ),
    Member("Franklin", "39049", 80, facts=(("core.security_training", "yes"),)),
    Member("Franklin", "39049", 90, days_ago=400, mfa="partly"),
    Member(
        "Pike", "39131", 40, gap=True, mfa="no", facts=(LOCAL, ("core.incident_exercise", "no"))
    ),
    Member("Pike", "39131", 55, facts=(LOCAL,)),
    Member("Pike", "39131", 75, facts=(LOCAL,)),
    Member("Lake", "39085", 20, gap=True, mfa="no", facts=(("core.government_level", "none"),)),
    Member("Lake", "39085", 95, mfa="dont_know"),
    Member("Lake", "39085", None),
    Member("Lake", "39085", None),
    Member("Lake", "39085", None),
)


def build_ohio_program(app: Flask) -> list[int]:
    """The members above, added to Ohio (the World's coordinator X covers it); their ids."""
    ids = []
    with app.app_context():
        version = questionnaire_versions.publish_current()
        add_fortios_entry()
        for number, member in enumerate(MEMBERS):
            name = f"{member.county} Program Member {number}"
            organization = Organization(
                name=name,
                name_key=name.casefold(),
                state="OH",
                county=member.county,
                county_fips=member.fips,
                ownership="public",
                size_band="small",
            )
            organization.sectors = list(member.sectors)
            db.session.add(organization)
            db.session.flush()
            ids.append(organization.id)
            if member.earlier is not None:
                days, score, gaps = member.earlier
                first = Assessment(
                    organization_id=organization.id,
                    questionnaire_version_id=version.id,
                    modules=["core", *member.sectors],
                    status=AssessmentStatus.ACCEPTED,
                    submitted_at=utcnow() - timedelta(days=days),
                    overall_score=score,
                    overall_tier="at_risk",
                    critical_gap_count=len(gaps),
                )
                db.session.add(first)
                db.session.flush()
                db.session.add_all(
                    [AssessmentCriticalGap(assessment_id=first.id, question_id=q) for q in gaps]
                )
            if member.score is not None:
                when = utcnow() - timedelta(days=member.days_ago)
                assessment = Assessment(
                    organization_id=organization.id,
                    questionnaire_version_id=version.id,
                    modules=["core", *member.sectors],
                    status=AssessmentStatus.SUBMITTED,
                    submitted_at=when,
                    overall_score=member.score,
                    overall_tier="developing",
                    critical_gap_count=1 if member.gap else 0,
                    is_latest_submission=True,
                )
                db.session.add(assessment)
                db.session.flush()
                db.session.add_all(
                    [
                        Answer(assessment_id=assessment.id, question_id=qid, value=value)
                        for qid, value in (
                            ("core.mfa_remote_email", member.mfa),
                            ("core.external_scan", member.scan),
                            *member.facts,
                        )
                    ]
                )
                if member.gap:
                    db.session.add(
                        AssessmentCriticalGap(
                            assessment_id=assessment.id, question_id="core.mfa_remote_email"
                        )
                    )
            if member.kev:
                item = InventoryItem(
                    organization_id=organization.id,
                    category="edge",
                    vendor="Fortinet",
                    product="FortiGate",
                    version="7.4.3",
                    family_key="fortinet-fortios",
                )
                db.session.add(item)
                db.session.flush()
                if member.kev in ("settled", "stale"):
                    db.session.add(
                        KevTriage(
                            inventory_item_id=item.id,
                            cve_id="CVE-2024-21762",
                            state="fixed",
                            running_version="7.4.3",
                            item_version="7.4.3" if member.kev == "settled" else "7.2.0",
                        )
                    )
        db.session.commit()
    return ids
