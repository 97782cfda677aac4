"""What most organizations miss: the questions and CPG goals most often answered "not in place"
or "I don't know" across a coordinator's scope, by sector and by rural or metro county (#33).

Read from each organization's latest submitted assessment. A question's base is the organizations
whose latest submission answered it (a sector question is asked only in its sector; "not
applicable" is not an answer to count); a goal's base is the answers to its questions (an
organization answering three of them counts three times). Each organization counts once per
question, however many sectors it runs. One query counts answers by (question, value); which
values miss is the questionnaire's to say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from portal import access
from portal.counties import state_counties
from portal.extensions import db
from portal.figures.queries import MIN_PEERS
from portal.geography import STATES
from portal.models import Answer, Assessment, Organization, OrganizationSector, User
from portal.questionnaire.model import DONT_KNOW, NOT_APPLICABLE, Question, Questionnaire

NOT_IN_PLACE = "not_in_place"


@dataclass(frozen=True)
class Missed:
    key: str  # a question id, or a CPG goal id ("1.B")
    answered: int  # organizations whose latest submission answered it (the base)
    not_in_place: int
    dont_know: int

    @property
    def missing(self) -> int:
        return self.not_in_place + self.dont_know

    @property
    def share(self) -> int:
        return round(100 * self.missing / self.answered) if self.answered else 0


@dataclass(frozen=True)
class MostMissed:
    questions: list[Missed]  # most missed first (by share, then count), at least MIN_PEERS answered
    goals: list[Missed]
    organizations: int  # organizations with a submission in the chosen group
    sector: str  # "" for every sector
    place: str  # "", "rural" or "metro"


def most_missed(
    user: User,
    questionnaire: Questionnaire,
    *,
    sector: str = "",
    place: str = "",
    limit: int = 15,
) -> MostMissed:
    """The questions and goals most often missed in ``user``'s scope (one sector, rural or metro
    counties only, when asked)."""
    scope = access.organization_scope(user)
    if sector:
        scope = sa.and_(
            scope,
            Organization.id.in_(
                sa.select(OrganizationSector.organization_id).where(
                    OrganizationSector.sector == sector
                )
            ),
        )
    if place:
        scope = sa.and_(scope, Organization.county_fips.in_(_fips(user, rural=place == "rural")))
    # Each organization's latest submission, looked up by the organization (an index probe
    # each: the planner otherwise walks every latest submission in the country).
    latest_id = (
        sa.select(Assessment.id)
        .where(Assessment.organization_id == Organization.id, Assessment.is_latest_submission)
        .scalar_subquery()
    )
    latest = sa.select(latest_id).where(scope, latest_id.is_not(None))
    organizations = db.session.scalar(sa.select(sa.func.count()).select_from(latest.subquery()))
    answers = db.session.execute(
        sa.select(Answer.question_id, Answer.value, sa.func.count())
        .where(
            Answer.assessment_id.in_(latest),
            Answer.value.is_not(None),
            Answer.value != NOT_APPLICABLE,
        )
        .group_by(Answer.question_id, Answer.value)
    ).all()
    kinds = {(qid, value): kind for qid, value, kind in _missing_answers(questionnaire)}
    tally: dict[str, list[int]] = {}
    for qid, value, n in answers:
        counts = tally.setdefault(qid, [0, 0, 0])  # answered, not in place, don't know
        counts[0] += n
        kind = kinds.get((qid, value or ""))
        if kind == NOT_IN_PLACE:
            counts[1] += n
        elif kind == DONT_KNOW:
            counts[2] += n
    asked = {q.id: q for q in _all_questions(questionnaire) if not q.profile}
    questions = [Missed(qid, *tally[qid]) for qid in asked if qid in tally]
    return MostMissed(
        questions=_ranked(questions, limit),
        goals=_ranked(_goals(asked.values(), tally), limit),
        organizations=int(organizations or 0),
        sector=sector,
        place=place,
    )


def _all_questions(questionnaire: Questionnaire) -> Iterable[Question]:
    return questionnaire.questions_in([m.id for m in questionnaire.modules])


def _missing_answers(questionnaire: Questionnaire) -> Iterable[tuple[str, str, str]]:
    """(question id, answer value, kind) for every answer that misses: an option worth no
    points (not in place) and "I don't know"."""
    for question in _all_questions(questionnaire):
        if question.profile:
            continue
        for option in question.options:
            if option.points == 0:
                yield question.id, option.value, NOT_IN_PLACE
        yield question.id, DONT_KNOW, DONT_KNOW


def _goals(questions: Iterable[Question], tally: dict[str, list[int]]) -> list[Missed]:
    """Per CPG goal, the answers to its questions: how many, how many miss. (Answers, not
    organizations: an organization answering three of a goal's questions counts three times —
    the definition on the page says so.)"""
    goals: dict[str, list[int]] = {}
    for question in questions:
        counts = tally.get(question.id)
        if counts is None:
            continue
        for goal in question.refs.cpg2:
            total = goals.setdefault(goal, [0, 0, 0])
            for i in range(3):
                total[i] += counts[i]
    return [Missed(goal, *counts) for goal, counts in goals.items()]


def _ranked(rows: list[Missed], limit: int) -> list[Missed]:
    """Most missed first; figures over fewer than MIN_PEERS organizations are left out."""
    shown = [r for r in rows if r.answered >= MIN_PEERS and r.missing]
    return sorted(shown, key=lambda r: (-r.share, -r.missing, r.key))[:limit]


def _fips(user: User, *, rural: bool) -> list[str]:
    """The county codes of the user's states that are rural (RUCC 4-9), or metro."""
    states = {j.state for j in user.jurisdictions} if user.is_coordinator else set(STATES)
    codes = []
    for code in sorted(states):
        counties = state_counties(code)
        for county in counties.counties if counties else ():
            if county.rural is rural:
                codes.append(county.fips)
    return codes
