"""The grant-reporting pack: the measures a state reports on its State and Local Cybersecurity
Grant Program (Assistance Listing 97.137), per organization and over the coordinator's scope, for
a period (#33).

Each organization in the scope counts once, whatever its sectors. Two readings:

- *Assessed in the period*: an assessment submitted between the period's first and last day.
- *As reported*: what the organization's latest assessment says, if it was submitted in the 12
  months up to the period's last day (an older one reports nothing for this period). Exercises
  and training count when that assessment says they were in the 12 months before it.

A measure's base is the organizations that were asked and answered it: an assessment answered
before questionnaire 2026.5 did not ask about the hands-on exercise, phishing or role-based
training, so it is counted as "not asked", beside the base, never as "no". Only answers to
questions shown to the organization count (an answer left behind when an earlier answer hid its
question does not). Groups of fewer than 5 organizations are not broken down (k >= 5).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import access
from portal.counties import state_counties
from portal.extensions import db
from portal.figures.queries import MIN_PEERS
from portal.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    Ownership,
    User,
)
from portal.questionnaire import words
from portal.questionnaire.model import NOT_APPLICABLE, Condition, Questionnaire

# Answers read, by question id (questionnaire 2026.5).
GOVERNMENT = "core.government_level"
TABLETOP = "core.incident_exercise"
TABLETOP_WHEN = "core.exercise_when"
OPERATIONS = "core.operations_exercise"
PHISHING = "core.phishing_training"
ROLE_BASED = "core.role_based_training"
AWARENESS = "core.security_training"

ENTITY_LABELS = {
    "local": _l("Local government"),
    "state": _l("State government"),
    "tribal": _l("Tribal"),
    "public": _l("Public, level not reported"),
    "none": _l("Not a government body"),
}
GOVERNMENT_ENTITIES = ("local", "state")
MAX_PERIOD_DAYS = 5 * 366

YES, NO, NOT_ASKED, NOT_REPORTED, NOT_APPLIES = (
    "yes",
    "no",
    "not asked",
    "not reported",
    "does not apply",
)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{_day(self.first)} – {_day(self.last)}"

    @property
    def last_label(self) -> str:
        return _day(self.last)


def _day(day: date) -> str:
    return words.day(day)


def _year_before(day: date) -> date:
    """The same day a year earlier (February 29 → February 28)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def default_period(today: date) -> Period:
    """The 12 months to today (365 days: no February 29 to trip over)."""
    return Period(today - timedelta(days=364), today)


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
    reported_on: date | None  # the reporting assessment's day (None: none in the 12 months)
    score: int | None
    critical_gaps: int | None
    tabletop: str  # YES, NO, NOT_ASKED or NOT_REPORTED
    operations: str  # YES (a drill or a full-scale exercise), NO, ...
    full_scale: str
    phishing: str
    role_based: str  # YES (every role), "some roles", NO, NOT_APPLIES (only the IT lead), ...
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
    not_asked: int  # reporting organizations the question was not put to (or not answered)
    definition: str

    @property
    def shown(self) -> bool:
        return self.base >= MIN_PEERS

    @property
    def share(self) -> int | None:
        return round(100 * self.count / self.base) if self.base else None


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    organizations: int
    measures: list[Measure]
    # Hidden though large enough: showing it would let a hidden group be worked out by
    # subtraction (see _suppress_complements).
    withheld: bool = False

    @property
    def shown(self) -> bool:
        return self.organizations >= MIN_PEERS and not self.withheld


@dataclass(frozen=True)
class GrantPack:
    period: Period
    organizations: list[OrganizationRow]
    everyone: Group  # every organization in the scope
    government: Group  # local and state government bodies: the grant's own subrecipients
    groups: list[Group]  # by kind of entity, then rural and metro counties
    cpg_median: int | None
    generated_at: datetime


def grant_pack(
    user: User, questionnaire: Questionnaire, period: Period, zone: tzinfo, now: datetime
) -> GrantPack:
    """The pack for ``user``'s scope and ``period`` (days on the clock ``zone``)."""
    end = datetime.combine(period.last + timedelta(days=1), time.min, zone)
    start = datetime.combine(period.first, time.min, zone)
    reporting_from = datetime.combine(_year_before(period.last) + timedelta(days=1), time.min, zone)
    scope = sa.and_(access.organization_scope(user), Organization.created_at < end)
    organizations = db.session.execute(
        sa.select(
            Organization.id,
            Organization.name,
            Organization.state,
            Organization.county,
            Organization.county_fips,
            Organization.ownership,
        )
        .where(scope)
        .order_by(Organization.state, Organization.name)
    ).all()
    sectors = _sectors(scope)
    latest, in_period = _submissions(scope, start, end)
    reporting = {org: s for org, s in latest.items() if s[1] >= reporting_from}
    answers = _answers([s[0] for s in reporting.values()])
    goals = _goal_questions(questionnaire)
    order = [
        (q.id, q.show_if) for q in questionnaire.questions_in([m.id for m in questionnaire.modules])
    ]
    full = {
        (q.id, o.value)
        for q in questionnaire.questions_in([m.id for m in questionnaire.modules])
        for o in q.options
        if o.points == 100
    }
    rows = []
    for org in organizations:
        held = reporting.get(org.id)
        given = _shown(order, answers.get(held[0], {})) if held else {}
        met, answered = _cpg(full, goals, given) if held else (None, None)
        operations = _answer(given, OPERATIONS, held is not None)
        rows.append(
            OrganizationRow(
                id=org.id,
                name=org.name,
                state=org.state,
                county=org.county,
                county_fips=org.county_fips,
                rural=_rural(org.state, org.county_fips),
                sectors=sectors.get(org.id, ()),
                ownership=Ownership(org.ownership).value,
                entity=_entity(Ownership(org.ownership), given.get(GOVERNMENT)),
                assessed_in_period=org.id in in_period,
                reported_on=held[1].astimezone(zone).date() if held else None,
                score=held[2] if held else None,
                critical_gaps=held[3] if held else None,
                tabletop=_tabletop(given) if held else NOT_REPORTED,
                operations=_yes_if(operations, {"full_scale", "drill"}),
                full_scale=_yes_if(operations, {"full_scale"}),
                phishing=_yes_if(_answer(given, PHISHING, held is not None), {"yes"}),
                role_based=_role_based(_answer(given, ROLE_BASED, held is not None)),
                awareness=_yes_if(_answer(given, AWARENESS, held is not None), {"yes"}),
                cpg_met=met,
                cpg_answered=answered,
            )
        )
    shares = [r.cpg_share for r in rows if r.cpg_share is not None]
    return GrantPack(
        period=period,
        organizations=rows,
        everyone=_group("all", _("Every organization"), rows),
        government=_group(
            "government",
            _("Local and state government bodies"),
            [r for r in rows if r.entity in GOVERNMENT_ENTITIES],
        ),
        groups=_suppress_complements(
            [
                _group(key, str(label), [r for r in rows if r.entity == key])
                for key, label in ENTITY_LABELS.items()
            ],
            [
                _group("rural", _("Rural counties"), [r for r in rows if r.rural is True]),
                _group("metro", _("Metro counties"), [r for r in rows if r.rural is False]),
                _group(
                    "unclassified",
                    _("County not classified"),
                    [r for r in rows if r.rural is None],
                ),
            ],
        ),
        cpg_median=round(statistics.median(shares)) if len(shares) >= MIN_PEERS else None,
        generated_at=now,
    )


def _suppress_complements(entities: list[Group], places: list[Group]) -> list[Group]:
    """Each breakdown adds up to every organization (and local plus state to the government
    bodies): while the groups hidden in one of them hold 1 to 4 organizations in all, their
    figures are the total minus the shown ones — so the smallest shown group is withheld too,
    until the hidden ones hold none or at least 5."""
    local_state = [g for g in entities if g.key in GOVERNMENT_ENTITIES]
    withheld: set[str] = set()
    for partition in (entities, places, local_state):
        while True:
            hidden = [g for g in partition if g.organizations and (g.key in withheld or
                      g.organizations < MIN_PEERS)]  # fmt: skip
            shown = [g for g in partition if g not in hidden and g.organizations]
            if not shown or not 0 < sum(g.organizations for g in hidden) < MIN_PEERS:
                break
            withheld.add(min(shown, key=lambda g: g.organizations).key)
    return [
        dataclasses.replace(g, withheld=True) if g.key in withheld else g for g in entities + places
    ]


def _group(key: str, label: str, rows: list[OrganizationRow]) -> Group:
    return Group(key, label, len(rows), measures_of(rows))


def measures_of(rows: list[OrganizationRow]) -> list[Measure]:
    """The measures over ``rows`` (each organization once)."""
    reported = [r for r in rows if r.reported_on is not None]

    def answered(
        field: Callable[[OrganizationRow], str], label: str, key: str, what: str
    ) -> Measure:
        asked = [r for r in reported if field(r) not in (NOT_ASKED, NOT_APPLIES)]
        return Measure(
            key,
            label,
            sum(1 for r in asked if field(r) == YES),
            len(asked),
            sum(1 for r in reported if field(r) == NOT_ASKED),
            _(
                "As reported in each organization's latest assessment submitted in the 12 months "
                "up to the period's last day: %(what)s Base: those asked and answering; the "
                "organizations not asked (an assessment made before questionnaire 2026.5, or the "
                "question left unanswered) are counted apart.",
                what=what,
            ),
        )

    return [
        Measure(
            "assessed",
            _("Completed a cyber risk assessment in the period"),
            sum(1 for r in rows if r.assessed_in_period),
            len(rows),
            0,
            _(
                "Organizations that submitted a self-assessment (mapped to CISA CPG 2.0 and NIST "
                "CSF 2.0) between the period's first and last day. Base: organizations registered "
                "by the period's last day."
            ),
        ),
        answered(
            lambda r: r.tabletop,
            _("Held a tabletop exercise in the last 12 months"),
            "tabletop",
            _("an attack scenario talked through with leadership in the 12 months before it."),
        ),
        answered(
            lambda r: r.operations,
            _("Held an operations-based exercise in the last 12 months"),
            "operations",
            _(
                "a hands-on drill (a restore from backup, manual operations) or a full-scale "
                "exercise with responders, in the 12 months before it."
            ),
        ),
        answered(
            lambda r: r.full_scale,
            _("Held a full-scale exercise in the last 12 months"),
            "full_scale",
            _(
                "a full-scale exercise with first responders or other agencies, in the 12 months "
                "before it."
            ),
        ),
        answered(
            lambda r: r.phishing,
            _("Phishing training in the last 12 months"),
            "phishing",
            _(
                "a phishing lesson, or a practice phishing email with a lesson, in the 12 months "
                "before it."
            ),
        ),
        answered(
            lambda r: r.role_based,
            _("Role-based training for every role with special duties"),
            "role_based",
            _(
                "IT admins, staff who pay bills or change bank details, and leaders trained for "
                "their role in the 12 months before it (an organization where no one but the IT "
                "lead has such duties is left out of the base)."
            ),
        ),
        answered(
            lambda r: r.awareness,
            _("Security awareness training for all staff"),
            "awareness",
            _("every staff member trained at hiring and every year, with records."),
        ),
        answered(
            lambda r: NOT_ASKED if r.cpg_share is None else (YES if r.cpg_share >= 50 else NO),
            _("Meets at least half of the CPG goals it answered"),
            "cpg_half",
            _(
                "a CISA CPG 2.0 goal is met when every question mapped to it that the "
                "organization answered is answered at full points (none “I don't know”); its CPG "
                "adoption level is the share of the goals it answered that it meets."
            ),
        ),
    ]


def _submissions(
    scope: sa.ColumnElement[bool], start: datetime, end: datetime
) -> tuple[dict[int, tuple[int, datetime, int | None, int | None]], set[int]]:
    """Each organization's latest submission before ``end`` (id, when, score, critical gaps) —
    one row per organization, ranked in SQL — and the organizations that submitted in
    [``start``, ``end``)."""
    submitted = sa.and_(
        scope,
        Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED]),
        Assessment.submitted_at.is_not(None),
        Assessment.submitted_at < end,
    )
    ranked = (
        sa.select(
            Assessment.organization_id,
            Assessment.id,
            Assessment.submitted_at,
            Assessment.overall_score,
            Assessment.critical_gap_count,
            sa.func.row_number()
            .over(
                partition_by=Assessment.organization_id,
                order_by=(Assessment.submitted_at.desc(), Assessment.id.desc()),
            )
            .label("rank"),
        )
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(submitted)
        .subquery()
    )
    latest: dict[int, tuple[int, datetime, int | None, int | None]] = {}
    for org, id_, at, score, gaps, _rank in db.session.execute(
        sa.select(ranked).where(ranked.c.rank == 1)
    ):
        latest[org] = (id_, at, score, gaps)
    in_period = set(
        db.session.scalars(
            sa.select(Assessment.organization_id)
            .join(Organization, Organization.id == Assessment.organization_id)
            .where(submitted, Assessment.submitted_at >= start)
            .distinct()
        )
    )
    return latest, in_period


def _sectors(scope: sa.ColumnElement[bool]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    for org, sector in db.session.execute(
        sa.select(OrganizationSector.organization_id, OrganizationSector.sector)
        .join(Organization, Organization.id == OrganizationSector.organization_id)
        .where(scope)
        .order_by(OrganizationSector.sector)
    ):
        found[org].append(str(sector))
    return {org: tuple(values) for org, values in found.items()}


def _answers(assessment_ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for start in range(0, len(assessment_ids), 2000):  # bound the IN list
        for assessment_id, question_id, value in db.session.execute(
            sa.select(Answer.assessment_id, Answer.question_id, Answer.value).where(
                Answer.assessment_id.in_(assessment_ids[start : start + 2000]),
                Answer.value.is_not(None),
            )
        ):
            if value is not None:
                found[assessment_id][question_id] = value
    return found


def _shown(order: list[tuple[str, Condition | None]], given: dict[str, str]) -> dict[str, str]:
    """The answers to questions shown to the organization, in the wizard's ``order`` (a
    question's show-if reads the answers kept before it: chains hide as the wizard does).
    Answers to questions the questionnaire no longer has are dropped."""
    kept: dict[str, str] = {}
    for question_id, show_if in order:
        if question_id in given and (show_if is None or show_if.holds(kept)):
            kept[question_id] = given[question_id]
    return kept


def _rural(state: str, fips: str | None) -> bool | None:
    counties = state_counties(state) if fips else None
    county = counties.by_fips(fips) if counties and fips else None
    return county.rural if county else None


def _entity(ownership: Ownership, answered: str | None) -> str:
    """What kind of body the organization is: its answer where it gave one, else what its
    ownership (registration) already says — a private, non-profit or cooperative body is no
    government, a tribal one is tribal, a public one's level is "not reported"."""
    if answered in ENTITY_LABELS and answered != "public":
        return answered
    if ownership is Ownership.TRIBAL:
        return "tribal"
    if ownership is Ownership.PUBLIC:
        return "public"
    return "none"


def _answer(given: dict[str, str], question_id: str, reported: bool) -> str:
    """The answer, "not asked" when there is none (an assessment made before the question was);
    "I don't know" stays in the base as an answer that is not a yes."""
    if not reported:
        return NOT_REPORTED
    value = given.get(question_id)
    return NOT_ASKED if value is None else value


def _yes_if(value: str, yes: set[str]) -> str:
    if value in (NOT_ASKED, NOT_REPORTED):
        return value
    return YES if value in yes else NO


def _tabletop(given: dict[str, str]) -> str:
    """Yes: the tabletop's date within 12 months, or — with no date answered — "Yes, in the last
    12 months" to the tabletop question; no: the date over 12 months ago, "Never", "partly"
    with no date, or "I don't know"."""
    when = given.get(TABLETOP_WHEN)
    if when in ("within_6m", "within_12m"):
        return YES
    if when is not None:
        return NO  # over 12 months ago, or "I don't know" when
    exercise = given.get(TABLETOP)
    if exercise is None:
        return NOT_ASKED
    return YES if exercise == "yes" else NO


def _role_based(value: str) -> str:
    if value == "only_me":
        return NOT_APPLIES
    if value == "partly":
        return "some roles"
    return _yes_if(value, {"yes"})


def _goal_questions(questionnaire: Questionnaire) -> dict[str, list[str]]:
    goals: dict[str, list[str]] = defaultdict(list)
    for question in questionnaire.questions_in([m.id for m in questionnaire.modules]):
        if not question.profile:
            for goal in question.refs.cpg2:
                goals[goal].append(question.id)
    return goals


def _cpg(
    full: set[tuple[str, str]], goals: dict[str, list[str]], given: dict[str, str]
) -> tuple[int, int]:
    """(goals met, goals answered) for one organization's shown answers; ``full``: the (question,
    answer) pairs worth full points ("I don't know" never is)."""
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
        if all(pair in full for pair in values):
            met += 1
    return met, answered


def rows_of_groups(pack: GrantPack) -> Iterable[Group]:
    """The pack's groups in reading order: everyone, government bodies, then the breakdowns."""
    yield pack.everyone
    yield pack.government
    yield from pack.groups
