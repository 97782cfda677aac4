"""Progress over time in a coordinator's scope, by calendar quarter (#33).

*Standing at a quarter's end*: each organization counts once, with its newest submission made by
then — so a quarter shows where the program stood, not only who submitted in it. Also, for the
organizations assessed more than once, their first against their latest assessment; how many
were re-assessed within 12 months; and what they reported done: critical gaps of the first
assessment that a later one answers in place (the portal has no tick box for a plan action — an
action is done when the answer it asks for is given), and known-exploited matches settled.

Read from the stored figures of each submission (score, critical-gap count, critical-gap rows):
a few queries, the rest in Python over one row per submission.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import access
from portal.extensions import db
from portal.figures.bands import SCORE_BANDS
from portal.figures.queries import MIN_PEERS
from portal.models import (
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentStatus,
    InventoryItem,
    KevTriage,
    Organization,
    OrganizationSector,
    User,
)
from portal.questionnaire.model import Questionnaire

QUARTERS_SHOWN = 8
MONTHS = (_l("Jan–Mar"), _l("Apr–Jun"), _l("Jul–Sep"), _l("Oct–Dec"))
REASSESSED_WITHIN_DAYS = 365
ALL = ""  # the key of the whole scope, beside each sector's


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1-4

    @property
    def label(self) -> str:
        """ "Jan–Mar 2026": calendar months, not a fiscal year's quarter numbers (in the reader's
        language: cached figures that hold labels are cached per language)."""
        return f"{MONTHS[self.number - 1]} {self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = self.following()
        return following.first_day - timedelta(days=1)

    def following(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class Standing:
    """Where a group stood at a quarter's end."""

    quarter: Quarter
    organizations: int  # with a submission by then
    median: int | None  # None below MIN_PEERS
    bands: dict[str, int]  # organizations per score band
    with_critical_gaps: int
    submitted_in_quarter: int

    @property
    def shown(self) -> bool:
        return self.organizations >= MIN_PEERS

    @property
    def gap_share(self) -> int | None:
        if not self.shown:
            return None
        return round(100 * self.with_critical_gaps / self.organizations)


@dataclass(frozen=True)
class Change:
    """Organizations assessed more than once: their first against their latest assessment."""

    organizations: int
    first_median: int | None
    latest_median: int | None
    improved: int  # latest score above the first
    reassessed_within_year: int  # the second submission within 365 days of the first
    gaps_closed: int  # critical gaps of the first assessment the latest answers in place


@dataclass(frozen=True)
class GroupProgress:
    key: str  # "" (everyone) or a sector id
    quarters: list[Standing]
    change: Change


@dataclass(frozen=True)
class Progress:
    groups: list[GroupProgress]  # everyone first, then each sector with submissions
    settled_by_quarter: dict[str, int]  # known-exploited matches settled, by quarter label
    as_of: date
    quarters: list[Quarter] = field(default_factory=list)


@dataclass
class _Submission:
    id: int
    organization_id: int
    day: date
    score: int
    gaps: int


def progress(user: User, questionnaire: Questionnaire, today: date, zone: tzinfo) -> Progress:
    """Progress in ``user``'s scope over the last :data:`QUARTERS_SHOWN` quarters to ``today``,
    days and quarters on the reader's clock ``zone`` (a submission at 11 PM on Dec 31 in Ohio is
    in the fourth quarter)."""
    rows = db.session.execute(
        sa.select(
            Assessment.id,
            Assessment.organization_id,
            Assessment.submitted_at,
            Assessment.overall_score,
            Assessment.critical_gap_count,
        )
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(_submitted(user))
        .order_by(Assessment.organization_id, Assessment.submitted_at, Assessment.id)
    ).all()
    submissions: dict[int, list[_Submission]] = defaultdict(list)
    for id_, org, at, score, gaps in rows:
        assert at is not None and score is not None  # (filtered above)
        submissions[org].append(_Submission(id_, org, at.astimezone(zone).date(), score, gaps or 0))
    sectors: dict[str, set[int]] = defaultdict(set)
    for org, sector in db.session.execute(
        sa.select(OrganizationSector.organization_id, OrganizationSector.sector)
        .join(Organization, Organization.id == OrganizationSector.organization_id)
        .where(access.organization_scope(user))
    ):
        if org in submissions:
            sectors[str(sector)].add(org)
    quarters = _quarters(today)
    tracks = _tracks(submissions, quarters)
    closed = _gaps_closed(user, questionnaire)
    groups = [_group(ALL, submissions, set(submissions), quarters, tracks, closed)]
    groups += [
        _group(sector, submissions, orgs, quarters, tracks, closed)
        for sector, orgs in sorted(sectors.items())
    ]
    return Progress(groups, _settled(user, quarters, zone), today, quarters)


def _quarters(today: date) -> list[Quarter]:
    found = [Quarter.of(today)]
    while len(found) < QUARTERS_SHOWN:
        first = found[0]
        found.insert(
            0,
            Quarter(first.year - 1, 4)
            if first.number == 1
            else Quarter(first.year, first.number - 1),
        )
    return found


@dataclass
class _Track:
    """One organization along the quarters: its standing submission at each quarter's end (None
    before its first) and how many it made in each quarter. Worked out once, summed per group."""

    standing: list[_Submission | None]
    made: list[int]


def _tracks(
    submissions: dict[int, list[_Submission]], quarters: list[Quarter]
) -> dict[int, _Track]:
    ends = [q.last_day for q in quarters]
    starts = [q.first_day for q in quarters]
    tracks = {}
    for org, made in submissions.items():
        standing: list[_Submission | None] = []
        counts = []
        at = -1
        for start, end in zip(starts, ends, strict=True):
            first = at + 1
            while at + 1 < len(made) and made[at + 1].day <= end:
                at += 1
            standing.append(made[at] if at >= 0 else None)
            counts.append(sum(1 for s in made[first : at + 1] if s.day >= start))
        tracks[org] = _Track(standing, counts)
    return tracks


def _group(
    key: str,
    submissions: dict[int, list[_Submission]],
    members: set[int],
    quarters: list[Quarter],
    tracks: dict[int, _Track],
    closed: dict[int, int],
) -> GroupProgress:
    standings = []
    for index, quarter in enumerate(quarters):
        standing = [s for org in members if (s := tracks[org].standing[index]) is not None]
        scores = [s.score for s in standing]
        standings.append(
            Standing(
                quarter,
                len(standing),
                round(statistics.median(scores)) if len(scores) >= MIN_PEERS else None,
                {b.key: sum(1 for v in scores if b.holds(v)) for b in SCORE_BANDS},
                sum(1 for s in standing if s.gaps),
                sum(tracks[org].made[index] for org in members),
            )
        )
    again = [submissions[org] for org in members if len(submissions[org]) >= 2]
    enough = len(again) >= MIN_PEERS
    change = Change(
        organizations=len(again),
        first_median=round(statistics.median(s[0].score for s in again)) if enough else None,
        latest_median=round(statistics.median(s[-1].score for s in again)) if enough else None,
        improved=sum(1 for s in again if s[-1].score > s[0].score),
        reassessed_within_year=sum(
            1 for s in again if (s[1].day - s[0].day).days <= REASSESSED_WITHIN_DAYS
        ),
        gaps_closed=sum(closed.get(s[0].organization_id, 0) for s in again),
    )
    return GroupProgress(key, standings, change)


def _full_point_answers(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    return [
        (question.id, option.value)
        for question in questionnaire.questions_in([m.id for m in questionnaire.modules])
        if not question.profile
        for option in question.options
        if option.points == 100
    ]


def _gaps_closed(user: User, questionnaire: Questionnaire) -> dict[int, int]:
    """Per organization assessed more than once: critical gaps of its first assessment that its
    latest no longer has (answered in place). In SQL: the first and latest submission of each
    organization ranked in one pass."""
    ranked = (
        sa.select(
            Assessment.id.label("id"),
            Assessment.organization_id.label("organization_id"),
            sa.func.row_number()
            .over(
                partition_by=Assessment.organization_id,
                order_by=(Assessment.submitted_at, Assessment.id),
            )
            .label("rank"),
            sa.func.count().over(partition_by=Assessment.organization_id).label("n"),
        )
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(_submitted(user))
        .subquery()
    )
    first = sa.orm.aliased(ranked)
    latest = sa.orm.aliased(ranked)
    # Closed: the latest assessment answers the question in place (full points) — not merely
    # "no gap row", which "I don't know" or a question no longer asked would also leave. The
    # latest answer to each first gap is read (one index probe each) and judged here.
    full = set(_full_point_answers(questionnaire))
    rows = db.session.execute(
        sa.select(first.c.organization_id, Answer.question_id, Answer.value)
        .join(
            latest,
            sa.and_(
                latest.c.organization_id == first.c.organization_id, latest.c.rank == latest.c.n
            ),
        )
        .join(AssessmentCriticalGap, AssessmentCriticalGap.assessment_id == first.c.id)
        .join(
            Answer,
            sa.and_(
                Answer.assessment_id == latest.c.id,
                Answer.question_id == AssessmentCriticalGap.question_id,
            ),
        )
        .where(first.c.rank == 1, first.c.n > 1)
    )
    closed: dict[int, int] = defaultdict(int)
    for org, question_id, value in rows:
        if (question_id, value) in full:
            closed[int(org)] += 1
    return dict(closed)


def _submitted(user: User) -> sa.ColumnElement[bool]:
    """Submissions in the user's scope with a stored score (submitted or accepted; an earlier
    submission keeps its status when a later one is made)."""
    return sa.and_(
        access.organization_scope(user),
        Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED]),
        Assessment.submitted_at.is_not(None),
        Assessment.overall_score.is_not(None),
    )


def _settled(user: User, quarters: list[Quarter], zone: tzinfo) -> dict[str, int]:
    """Known-exploited matches settled (fixed, mitigated, not affected, end-of-life plan), by the
    quarter they were settled in."""
    start = datetime.combine(quarters[0].first_day, time.min, zone)
    rows = db.session.execute(
        sa.select(KevTriage.decided_at)
        .join(InventoryItem, InventoryItem.id == KevTriage.inventory_item_id)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(
            access.organization_scope(user),
            KevTriage.state != "open",
            KevTriage.decided_at >= start,
        )
    ).scalars()
    counts = {q.label: 0 for q in quarters}
    for decided in rows:
        label = Quarter.of(decided.astimezone(zone).date()).label
        if label in counts:
            counts[label] += 1
    return counts
