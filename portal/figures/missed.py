"""What most organizations miss: the questions and CPG goals most often answered "not in place"
or "I don't know" across a coordinator's scope, by sector and by rural or metro county (#33).

Read from each organization's latest submitted assessment. A question's base is the organizations
whose latest submission answered it (a sector question is asked only in its sector; "not
applicable" is not an answer to count; an answer to a question a later answer hid does not
count); a goal's base is the organizations that answered any of its questions, and an
organization misses the goal when it misses any of them. Each organization counts once per
question and per goal, however many sectors it runs. Which answers miss is the questionnaire's
to say: its (question, answer) pairs are joined as a VALUES list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
    shown = _shown_answers(questionnaire, latest)
    tally: dict[str, list[int]] = {}
    for qid, kind, n in db.session.execute(
        sa.select(shown.c.question_id, shown.c.kind, sa.func.count()).group_by(
            shown.c.question_id, shown.c.kind
        )
    ):
        counts = tally.setdefault(qid, [0, 0, 0])  # answered, not in place, don't know
        counts[0] += n
        if kind == NOT_IN_PLACE:
            counts[1] += n
        elif kind == DONT_KNOW:
            counts[2] += n
    asked = [q.id for q in _all_questions(questionnaire) if not q.profile]
    questions = [Missed(qid, *tally[qid]) for qid in asked if qid in tally]
    return MostMissed(
        questions=_ranked(questions, limit),
        goals=_ranked(_goals(questionnaire, shown), limit),
        organizations=int(organizations or 0),
        sector=sector,
        place=place,
    )


def _shown_answers(questionnaire: Questionnaire, latest: sa.Select[Any]) -> sa.Subquery:
    """(assessment, question, kind) for each answer of the ``latest`` assessments that counts:
    a scored question, answered (not "not applicable"), and shown — an answer left behind when a
    later answer hid its question ("do you run OT?" changed to "no") does not count, as it does
    not in the score. Kind: not in place, I don't know, or ok."""
    kinds = (
        sa.values(
            sa.column("question_id", sa.String),
            sa.column("value", sa.String),
            sa.column("kind", sa.String),
            name="kinds",
        )
        .data(list(_missing_answers(questionnaire)))
        .cte("kinds")
    )  # (a CTE: SQLite has no VALUES alias)
    hiding = list(_hiding(questionnaire))
    answer = sa.orm.aliased(Answer)
    condition = [
        answer.assessment_id.in_(latest),
        answer.value.is_not(None),
        answer.value != NOT_APPLICABLE,
        answer.question_id.in_([q.id for q in _all_questions(questionnaire) if not q.profile]),
    ]
    if hiding:
        hides = (
            sa.values(
                sa.column("question_id", sa.String),
                sa.column("controller", sa.String),
                sa.column("value", sa.String),
                name="hides",
            )
            .data(hiding)
            .cte("hides")
        )
        controller = sa.orm.aliased(Answer)
        # The (assessment, question) pairs hidden by the latest assessments' own answers: found
        # among those assessments first (a few thousand rows), then left out — not an anti-join
        # against every answer in the country.
        hidden = (
            sa.select(
                controller.assessment_id.label("assessment_id"),
                hides.c.question_id.label("question_id"),
            )
            .join(
                hides,
                sa.and_(
                    hides.c.controller == controller.question_id, hides.c.value == controller.value
                ),
            )
            .where(controller.assessment_id.in_(latest))
            .cte("hidden")
        )
        condition.append(
            ~sa.select(hidden.c.assessment_id)
            .where(
                hidden.c.assessment_id == answer.assessment_id,
                hidden.c.question_id == answer.question_id,
            )
            .exists()
        )
    return (
        sa.select(
            answer.assessment_id.label("assessment_id"),
            answer.question_id.label("question_id"),
            sa.func.coalesce(kinds.c.kind, "ok").label("kind"),
        )
        .outerjoin(
            kinds, sa.and_(kinds.c.question_id == answer.question_id, kinds.c.value == answer.value)
        )
        .where(*condition)
        .subquery()
    )


def _hiding(questionnaire: Questionnaire) -> Iterable[tuple[str, str, str]]:
    """(question, the earlier question it depends on, an answer to that one that hides it).
    Show-if rules here are single conditions on a profile question (tests/review hold it so);
    "I don't know" and no answer show the question (Condition.SHOWN_WHEN_UNANSWERED)."""
    for question in _all_questions(questionnaire):
        rule = question.show_if
        if rule is None or question.profile:
            continue
        assert rule.kind == "leaf", f"{question.id}: a compound show-if is not read here"
        controller = questionnaire.question(rule.question_id)
        for option in controller.options:
            if option.value not in rule.shown_for:
                yield question.id, controller.id, option.value


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


def _goals(questionnaire: Questionnaire, shown: sa.Subquery) -> list[Missed]:
    """Per CPG 2.0 goal: the organizations that answered any of its questions (the base), and
    those that missed it — any of its questions not in place (or else any "I don't know").
    Each organization once per goal, so the k >= 5 rule holds for goals as for questions."""
    pairs = [
        (goal, question.id)
        for question in _all_questions(questionnaire)
        if not question.profile
        for goal in question.refs.cpg2
    ]
    if not pairs:
        return []
    goals = (
        sa.values(sa.column("goal", sa.String), sa.column("question_id", sa.String), name="goals")
        .data(pairs)
        .cte("goals")
    )
    per_organization = (
        sa.select(
            goals.c.goal.label("goal"),
            sa.func.max(sa.case((shown.c.kind == NOT_IN_PLACE, 1), else_=0)).label("off"),
            sa.func.max(sa.case((shown.c.kind == DONT_KNOW, 1), else_=0)).label("unknown"),
        )
        .join(goals, goals.c.question_id == shown.c.question_id)
        .group_by(goals.c.goal, shown.c.assessment_id)
        .subquery()
    )
    unknown_only = sa.and_(per_organization.c.unknown == 1, per_organization.c.off == 0)
    rows = db.session.execute(
        sa.select(
            per_organization.c.goal,
            sa.func.count(),
            sa.func.sum(per_organization.c.off),
            sa.func.sum(sa.case((unknown_only, 1), else_=0)),
        ).group_by(per_organization.c.goal)
    )
    return [
        Missed(goal, int(n), int(off or 0), int(unknown or 0)) for goal, n, off, unknown in rows
    ]


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
