"""The grant-reporting pack: the measures a state reports on its State and Local Cybersecurity
Grant Program (Assistance Listing 97.137), per organization and statewide, for a period (#33).

Each organization in the coordinator's scope counts once, whatever its sectors. Two readings:

- *Assessed in the period*: an assessment submitted between the period's first and last day.
- *As reported*: what the organization's latest assessment submitted by the period's last day
  says (exercises and training "in the last 12 months" are counted from that submission's date,
  as the questions ask). An organization with no submission by then is "not reported".

Questions of questionnaire 2026.5 (government level, exercise date, hands-on exercise, phishing
and role-based training) are "not asked" in assessments answered against an earlier version;
where an earlier question says the same, it is read instead (named in each definition).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa

from portal import access
from portal.counties import state_counties
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Organization,
    User,
)
from portal.questionnaire.model import DONT_KNOW, NOT_APPLICABLE, Questionnaire

# Answers read, by question id.
GOVERNMENT = "core.government_level"
EXERCISE = "core.incident_exercise"
EXERCISE_WHEN = "core.exercise_when"
HANDS_ON = "core.full_scale_exercise"
PHISHING = "core.phishing_training"
PHISHING_BEFORE = "core.phishing_practice"  # before 2026.5
ROLE_BASED = "core.role_based_training"
AWARENESS = "core.security_training"

ENTITY_LABELS = {
    "local": "Local government",
    "state": "State government",
    "tribal": "Tribal",
    "none": "Not a government body",
    "": "Not reported",
}
MAX_PERIOD_DAYS = 5 * 366

YES, NO, NOT_ASKED, NOT_REPORTED = "yes", "no", "not asked", "not reported"


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{_day(self.first)} – {_day(self.last)}"


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


@dataclass(frozen=True)
class OrganizationRow:
    id: int
    name: str
    state: str
    county: str
    county_fips: str | None
    rural: bool | None  # None: county not on the map or not classified
    sectors: tuple[str, ...]
    ownership: str
    entity: str  # a key of ENTITY_LABELS
    assessed_in_period: bool
    reported_on: date | None  # the standing submission's day (None: not reported)
    score: int | None
    critical_gaps: int | None
    tabletop: str  # YES, NO, NOT_ASKED or NOT_REPORTED
    hands_on: str
    phishing: str
    role_based: str  # YES (every role), "some", NO, ...
    awareness: str
    cpg_met: int | None  # goals met of those answered
    cpg_answered: int | None

    @property
    def cpg_share(self) -> int | None:
        if not self.cpg_answered:
            return None
        return round(100 * (self.cpg_met or 0) / self.cpg_answered)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    count: int
    base: int
    definition: str

    @property
    def share(self) -> int | None:
        return round(100 * self.count / self.base) if self.base else None


@dataclass(frozen=True)
class GrantPack:
    period: Period
    organizations: list[OrganizationRow]
    measures: list[Measure]  # statewide
    by_entity: dict[str, list[Measure]]  # the same measures per entity kind with organizations
    by_place: dict[str, list[Measure]]  # "rural", "metro", "not classified"
    cpg_median: int | None
    generated_at: datetime


def grant_pack(
    user: User, questionnaire: Questionnaire, period: Period, zone: tzinfo, now: datetime
) -> GrantPack:
    """The pack for ``user``'s scope and ``period`` (days on the clock ``zone``)."""
    end = datetime.combine(period.last + timedelta(days=1), time.min, zone)
    start = datetime.combine(period.first, time.min, zone)
    organizations = db.session.execute(
        sa.select(
            Organization.id,
            Organization.name,
            Organization.state,
            Organization.county,
            Organization.county_fips,
            Organization.ownership,
        )
        .where(access.organization_scope(user), Organization.created_at < end)
        .order_by(Organization.state, Organization.name)
    ).all()
    ids = [row.id for row in organizations]
    sectors = _sectors(ids)
    submitted = [AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED]
    standing: dict[int, tuple[int, datetime, int | None, int | None]] = {}
    in_period: set[int] = set()
    for org_ids in _chunks(ids):
        for org_id, id_, at, score, gaps in db.session.execute(
            sa.select(
                Assessment.organization_id,
                Assessment.id,
                Assessment.submitted_at,
                Assessment.overall_score,
                Assessment.critical_gap_count,
            )
            .where(
                Assessment.organization_id.in_(org_ids),
                Assessment.status.in_(submitted),
                Assessment.submitted_at.is_not(None),
                Assessment.submitted_at < end,
            )
            .order_by(Assessment.submitted_at, Assessment.id)
        ):
            assert at is not None  # (filtered above)
            standing[org_id] = (id_, at, score, gaps)  # the last one wins: the latest by the end
            if at >= start:
                in_period.add(org_id)
    answers = _answers([s[0] for s in standing.values()])
    goals = _goal_questions(questionnaire)
    rows = []
    for org in organizations:
        held = standing.get(org.id)
        given = answers.get(held[0], {}) if held else {}
        reported_on = held[1].astimezone(zone).date() if held else None
        met, answered = _cpg(questionnaire, goals, given) if held else (None, None)
        rows.append(
            OrganizationRow(
                id=org.id,
                name=org.name,
                state=org.state,
                county=org.county,
                county_fips=org.county_fips,
                rural=_rural(org.state, org.county_fips),
                sectors=sectors.get(org.id, ()),
                ownership=str(org.ownership),
                entity=_entity(given) if held else "",
                assessed_in_period=org.id in in_period,
                reported_on=reported_on,
                score=held[2] if held else None,
                critical_gaps=held[3] if held else None,
                tabletop=_tabletop(given) if held else NOT_REPORTED,
                hands_on=_yes_no(given, HANDS_ON, shown_if=(EXERCISE, {"yes", "partly"}))
                if held
                else NOT_REPORTED,
                phishing=_phishing(given) if held else NOT_REPORTED,
                role_based=_role_based(given) if held else NOT_REPORTED,
                awareness=_yes_no(given, AWARENESS) if held else NOT_REPORTED,
                cpg_met=met,
                cpg_answered=answered,
            )
        )
    shares = [r.cpg_share for r in rows if r.cpg_share is not None]
    return GrantPack(
        period=period,
        organizations=rows,
        measures=measures_of(rows),
        by_entity={
            key: measures_of(group)
            for key in ENTITY_LABELS
            if (group := [r for r in rows if r.entity == key])
        },
        by_place={
            key: measures_of(group)
            for key, group in (
                ("rural", [r for r in rows if r.rural is True]),
                ("metro", [r for r in rows if r.rural is False]),
                ("not classified", [r for r in rows if r.rural is None]),
            )
            if group
        },
        cpg_median=round(statistics.median(shares)) if shares else None,
        generated_at=now,
    )


def measures_of(rows: list[OrganizationRow]) -> list[Measure]:
    """The statewide measures over ``rows`` (each organization once)."""
    reported = [r for r in rows if r.reported_on is not None]

    def count(test: Callable[[OrganizationRow], bool], over: Iterable[OrganizationRow]) -> int:
        return sum(1 for r in over if test(r))

    return [
        Measure(
            "assessed",
            "Completed a cyber risk assessment in the period",
            count(lambda r: r.assessed_in_period, rows),
            len(rows),
            "Organizations that submitted a self-assessment (CISA CPG 2.0 and NIST CSF 2.0 "
            "based) between the period's first and last day. Base: organizations registered by "
            "the period's last day.",
        ),
        Measure(
            "tabletop",
            "Held a tabletop exercise in the last 12 months",
            count(lambda r: r.tabletop == YES, reported),
            len(reported),
            "As reported in each organization's latest assessment submitted by the period's last "
            "day: a cyber attack scenario talked through with leadership in the 12 months before "
            "it (“Yes, in the last 12 months” to the exercise question, or an exercise date "
            "within 12 months). Base: organizations with such an assessment.",
        ),
        Measure(
            "hands_on",
            "Held a hands-on (full-scale) exercise in the last 12 months",
            count(lambda r: r.hands_on == YES, reported),
            len(reported),
            "As reported: a restore from backup, manual operations or a drill with responders, "
            "not only a discussion (asked from questionnaire 2026.5). Base: organizations with "
            "an assessment by the period's last day.",
        ),
        Measure(
            "phishing",
            "Phishing training in the last 12 months",
            count(lambda r: r.phishing == YES, reported),
            len(reported),
            "As reported: a phishing lesson or a practice phishing email with a lesson in the 12 "
            "months before the assessment (before 2026.5: practice phishing at least yearly with "
            "a report button). Base: organizations with an assessment by the period's last day.",
        ),
        Measure(
            "role_based",
            "Role-based training for every such role",
            count(lambda r: r.role_based == YES, reported),
            len(reported),
            "As reported: people with special duties (IT admins, staff who pay bills or change "
            "bank details, leaders) trained for their role in the 12 months before the "
            "assessment (asked from questionnaire 2026.5). Base: organizations with an "
            "assessment by the period's last day.",
        ),
        Measure(
            "awareness",
            "Security awareness training for all staff",
            count(lambda r: r.awareness == YES, reported),
            len(reported),
            "As reported: every staff member trained at hiring and every year, with records. "
            "Base: organizations with an assessment by the period's last day.",
        ),
        Measure(
            "cpg_half",
            "Meets at least half of the CPG goals it answered",
            count(lambda r: (r.cpg_share or 0) >= 50, reported),
            len(reported),
            "As reported: a CISA CPG 2.0 goal is met when every question mapped to it that the "
            "organization answered is answered at full points (none “I don't know”); the "
            "organization's CPG adoption level is the share of the goals it answered that it "
            "meets. Base: organizations with an assessment by the period's last day.",
        ),
    ]


def _chunks(ids: list[int], size: int = 2000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _sectors(ids: list[int]) -> dict[int, tuple[str, ...]]:
    from portal.models import OrganizationSector

    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(ids):
        for org, sector in db.session.execute(
            sa.select(OrganizationSector.organization_id, OrganizationSector.sector)
            .where(OrganizationSector.organization_id.in_(chunk))
            .order_by(OrganizationSector.sector)
        ):
            found[org].append(str(sector))
    return {org: tuple(values) for org, values in found.items()}


def _answers(assessment_ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in _chunks(assessment_ids):
        for assessment_id, question_id, value in db.session.execute(
            sa.select(Answer.assessment_id, Answer.question_id, Answer.value).where(
                Answer.assessment_id.in_(chunk), Answer.value.is_not(None)
            )
        ):
            if value is not None:
                found[assessment_id][question_id] = value
    return found


def _rural(state: str, fips: str | None) -> bool | None:
    counties = state_counties(state) if fips else None
    county = counties.by_fips(fips) if counties and fips else None
    return county.rural if county else None


def _entity(given: dict[str, str]) -> str:
    value = given.get(GOVERNMENT, "")
    return value if value in ENTITY_LABELS else ""


def _yes_no(
    given: dict[str, str], question_id: str, shown_if: tuple[str, set[str]] | None = None
) -> str:
    value = given.get(question_id)
    if value is None:
        if shown_if is not None and given.get(shown_if[0]) not in (*shown_if[1], None, DONT_KNOW):
            return NO  # not asked because the earlier answer rules it out ("never")
        return NOT_ASKED
    return YES if value == "yes" else NO


def _tabletop(given: dict[str, str]) -> str:
    when = given.get(EXERCISE_WHEN)
    if when in ("within_6m", "within_12m"):
        return YES
    exercise = given.get(EXERCISE)
    if exercise is None:
        return NOT_ASKED
    return YES if exercise == "yes" else NO


def _phishing(given: dict[str, str]) -> str:
    if PHISHING in given:
        return YES if given[PHISHING] == "yes" else NO
    if PHISHING_BEFORE in given:  # an assessment answered before 2026.5
        return YES if given[PHISHING_BEFORE] == "yes" else NO
    return NOT_ASKED


def _role_based(given: dict[str, str]) -> str:
    value = given.get(ROLE_BASED)
    if value is None:
        return NOT_ASKED
    return {"yes": YES, "partly": "some roles"}.get(value, NO)


def _goal_questions(questionnaire: Questionnaire) -> dict[str, list[str]]:
    goals: dict[str, list[str]] = defaultdict(list)
    for question in questionnaire.questions_in([m.id for m in questionnaire.modules]):
        if not question.profile:
            for goal in question.refs.cpg2:
                goals[goal].append(question.id)
    return goals


def _cpg(
    questionnaire: Questionnaire, goals: dict[str, list[str]], given: dict[str, str]
) -> tuple[int, int]:
    """(goals met, goals answered) for one organization's answers."""
    met = answered = 0
    for question_ids in goals.values():
        values = [
            (qid, given[qid])
            for qid in question_ids
            if qid in given and given[qid] != NOT_APPLICABLE
        ]
        if not values:
            continue
        answered += 1
        if all(_full_points(questionnaire, qid, value) for qid, value in values):
            met += 1
    return met, answered


def _full_points(questionnaire: Questionnaire, question_id: str, value: str) -> bool:
    if value == DONT_KNOW or not questionnaire.has_question(question_id):
        return False
    option = questionnaire.question(question_id).option(value)
    return option is not None and option.points == 100


def default_period(today: date) -> Period:
    """The 12 months to today."""
    return Period(today.replace(year=today.year - 1) + timedelta(days=1), today)
