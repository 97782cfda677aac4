"""Regional figures for coordinators and peer benchmarks for operators, in SQL.

Everything is computed from each organization's *latest* submitted (or accepted) assessment — the
one flagged ``is_latest_submission`` — with its stored scores, never recomputed, and aggregated in
SQL (counts, means and medians), so a page costs a fixed handful of queries however many
organizations it covers. Peer figures are shown to operators only where at least
:data:`MIN_PEERS` organizations contribute, so no figure can describe one organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from portal import access
from portal.extensions import db
from portal.figures.bands import SCORE_BANDS
from portal.figures.cache import PEER_CACHE_SECONDS, cached_figures, peer_key, remember, scope_key
from portal.models import (
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    Role,
    ToolRequest,
    ToolRequestItem,
    User,
    utcnow,
)
from portal.questionnaire.model import Questionnaire

MIN_PEERS = 5


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorScores:
    sector: str
    organizations: int
    median: int
    bands: dict[str, int]  # organizations per score band, by the band's key


@dataclass(frozen=True)
class HeatRow:
    """Mean score per priority for one (sector, place) of the heat map."""

    sector: str
    place: str
    organizations: int
    scores: dict[str, int | None]  # by priority id; None where no organization has a score
    weakest: str | None


class CriticalGapCount(NamedTuple):
    question_id: str
    organizations: int


class ToolRequestCount(NamedTuple):
    tool_id: str
    status: str
    requests: int


@dataclass(frozen=True)
class Dashboard:
    computed_at: datetime
    status_counts: dict[str, int]
    sector_scores: list[SectorScores]
    heat_level: str  # "county" or "state"
    heat: list[HeatRow]
    critical: list[CriticalGapCount]
    tools: list[ToolRequestCount]


@dataclass(frozen=True)
class PeerBenchmark:
    sector: str
    organizations: int
    median: int
    priority_medians: dict[str, int]


# --- building blocks -----------------------------------------------------------------------------


def _organizations(user: User | None) -> sa.Select[Any]:
    """Organization ids the figures may draw on: a coordinator's jurisdiction, or all (None)."""
    query = sa.select(Organization.id)
    return query if user is None else query.where(access.organization_scope(user))


def _latest(user: User | None, *columns: Any) -> sa.Select[Any]:
    """``columns`` over each organization's latest submission, per sector it operates in."""
    query = (
        sa.select(*columns)
        .select_from(Assessment)
        .join(Organization, Organization.id == Assessment.organization_id)
        .join(OrganizationSector, OrganizationSector.organization_id == Organization.id)
        .where(Assessment.is_latest_submission)
    )
    return query if user is None else query.where(access.organization_scope(user))


def _medians(values: sa.Subquery, by: list[str]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """(median, count) of ``values.c.score`` for each group of ``by`` columns, in SQL."""
    group = [values.c[name] for name in by]
    if db.session.get_bind().dialect.name == "postgresql":
        # One sort inside the aggregate: about twice as fast as ranking with window functions.
        median = sa.func.percentile_cont(0.5).within_group(values.c.score)
        rows = db.session.execute(sa.select(*group, median, sa.func.count()).group_by(*group))
    else:
        # SQLite has no percentile function: rank the scores in each group and average the
        # middle one or two.
        ranked = sa.select(
            *group,
            values.c.score,
            sa.func.row_number().over(partition_by=group, order_by=values.c.score).label("rank"),
            sa.func.count().over(partition_by=group).label("n"),
        ).subquery()
        middle = sa.or_(
            ranked.c.rank == (ranked.c.n + 1) // 2, ranked.c.rank == (ranked.c.n + 2) // 2
        )
        keys = [ranked.c[name] for name in by]
        rows = db.session.execute(
            sa.select(*keys, sa.func.avg(ranked.c.score), sa.func.max(ranked.c.n))
            .where(middle)
            .group_by(*keys)
        )
    # (With no groups and no rows, SQL still answers one row: NULL median, count 0.)
    return {
        tuple(row[:-2]): (round(float(row[-2])), int(row[-1]))
        for row in rows
        if row[-2] is not None
    }


# --- the figures ---------------------------------------------------------------------------------


def status_counts(user: User) -> dict[str, int]:
    """Organizations by where they are: not started, draft, submitted, accepted."""
    # The scope is applied before grouping, so only the jurisdiction's assessments are read
    # (351 ms -> ~30 ms for Texas in the national dataset).
    latest = (
        sa.select(sa.func.max(Assessment.id).label("id"))
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(access.organization_scope(user))
        .group_by(Assessment.organization_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Assessment.status, sa.func.count())
        .join(latest, Assessment.id == latest.c.id)
        .group_by(Assessment.status)
    ).all()
    counts = {"not started": 0, "draft": 0, "submitted": 0, "accepted": 0}
    for status, count in rows:
        # A returned assessment is back in the operator's hands: it counts as a draft.
        key = "draft" if status is AssessmentStatus.RETURNED else AssessmentStatus(status).value
        counts[key] += count
    total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(_organizations(user).subquery()))
        or 0
    )
    counts["not started"] = total - sum(v for k, v in counts.items() if k != "not started")
    return counts


def sector_scores(user: User | None) -> list[SectorScores]:
    """Per sector: organizations that submitted, median score, and how many fall in each band."""
    scored = _latest(
        user, OrganizationSector.sector.label("sector"), Assessment.overall_score.label("score")
    ).subquery()
    bands = [
        sa.func.sum(sa.case((scored.c.score.between(band.low, band.high), 1), else_=0))
        for band in SCORE_BANDS
    ]
    totals = db.session.execute(
        sa.select(scored.c.sector, sa.func.count(), *bands)
        .group_by(scored.c.sector)
        .order_by(scored.c.sector)
    ).all()
    medians = _medians(scored, ["sector"])
    return [
        SectorScores(
            sector=str(sector),
            organizations=organizations,
            median=medians[(sector,)][0],
            bands={band.key: int(n or 0) for band, n in zip(SCORE_BANDS, counts, strict=True)},
        )
        for sector, organizations, *counts in totals
    ]


def heat_level(user: User) -> str:
    """Rows of the heat map: counties within one state, states when the scope spans several."""
    if user.role is Role.COORDINATOR and len({j.state for j in user.jurisdictions}) == 1:
        return "county"
    return "state"


def weakest_priorities(
    user: User | None, priority_ids: list[str], level: str = "county"
) -> list[HeatRow]:
    """Mean score per priority for each (sector, county) — or (sector, state): the heat map."""
    place: tuple[Any, ...] = (OrganizationSector.sector, Organization.state)
    if level == "county":
        place += (Organization.county,)
    means = db.session.execute(
        _latest(
            user,
            *place,
            AssessmentPriorityScore.priority_id,
            sa.func.avg(AssessmentPriorityScore.score),
        )
        .join(AssessmentPriorityScore, AssessmentPriorityScore.assessment_id == Assessment.id)
        .group_by(*place, AssessmentPriorityScore.priority_id)
    ).all()
    counts = {
        tuple(row[:-1]): row[-1]
        for row in db.session.execute(_latest(user, *place, sa.func.count()).group_by(*place))
    }
    cells: dict[tuple[Any, ...], dict[str, int]] = {}
    for *where, priority_id, mean in means:
        cells.setdefault(tuple(where), {})[priority_id] = round(float(mean))

    def label(key: tuple[Any, ...]) -> str:
        return f"{key[2]}, {key[1]}" if level == "county" else str(key[1])

    table = []
    for key, scores in sorted(cells.items(), key=lambda item: (str(item[0][0]), label(item[0]))):
        known = {pid: scores[pid] for pid in priority_ids if pid in scores}
        table.append(
            HeatRow(
                sector=str(key[0]),
                place=label(key),
                organizations=counts.get(key, 0),
                scores={pid: scores.get(pid) for pid in priority_ids},
                weakest=min(known, key=lambda k: known[k]) if known else None,
            )
        )
    return table


def common_critical_gaps(user: User | None, limit: int = 10) -> list[CriticalGapCount]:
    """The critical questions most often unmet, with how many organizations miss each."""
    gap = AssessmentCriticalGap.question_id
    scoped = (
        sa.select(gap, sa.func.count(sa.distinct(Assessment.id)).label("n"))
        .select_from(Assessment)
        .join(AssessmentCriticalGap, AssessmentCriticalGap.assessment_id == Assessment.id)
        .where(Assessment.is_latest_submission)
    )
    if user is not None:
        scoped = scoped.join(Organization, Organization.id == Assessment.organization_id).where(
            access.organization_scope(user)
        )
    query = scoped.group_by(gap).order_by(sa.desc("n"), gap).limit(limit)
    return [CriticalGapCount(question_id, n) for question_id, n in db.session.execute(query)]


def tool_request_counts(user: User) -> list[ToolRequestCount]:
    query = (
        sa.select(ToolRequestItem.tool_id, ToolRequest.status, sa.func.count())
        .join(ToolRequest, ToolRequest.id == ToolRequestItem.request_id)
        .where(ToolRequest.organization_id.in_(_organizations(user)))
        .group_by(ToolRequestItem.tool_id, ToolRequest.status)
        .order_by(ToolRequestItem.tool_id, ToolRequest.status)
    )
    return [
        ToolRequestCount(tool, status.value, count)
        for tool, status, count in db.session.execute(query)
    ]


def dashboard(user: User, questionnaire: Questionnaire) -> Dashboard:
    """The regional dashboard of ``user``'s scope, computed at most once a minute per scope.

    At national scale a state's tables take ~0.5 s of queries; coordinators reload the page far
    more often than the figures change.
    """
    priority_ids = [p.id for p in questionnaire.priorities]

    def compute() -> Dashboard:
        level = heat_level(user)
        return Dashboard(
            computed_at=utcnow(),
            status_counts=status_counts(user),
            sector_scores=sector_scores(user),
            heat_level=level,
            heat=weakest_priorities(user, priority_ids, level),
            critical=common_critical_gaps(user),
            tools=tool_request_counts(user),
        )

    return cached_figures(f"dashboard:{questionnaire.content_hash}:{scope_key(user)}", compute)


def peer_benchmark(sector: str, priority_ids: list[str]) -> PeerBenchmark | None:
    """Nationwide figures for a sector, cached for :data:`PEER_CACHE_SECONDS`.

    Across 50,000 water systems the figures cost ~1 s to compute and move slowly; every results
    page shows them. A submission in the sector clears the cache (in this process, or for every
    process when the cache is Redis).
    """
    cached = remember(
        peer_key(sector),
        lambda: (priority_ids, _compute_peer_benchmark(sector, priority_ids)),
        PEER_CACHE_SECONDS,
    )
    if cached[0] != priority_ids:  # cached for another questionnaire's priorities
        return _compute_peer_benchmark(sector, priority_ids)
    return cached[1]


def _compute_peer_benchmark(sector: str, priority_ids: list[str]) -> PeerBenchmark | None:
    """Nationwide figures for a sector, or None while fewer than MIN_PEERS have submitted."""
    in_sector = OrganizationSector.sector == sector  # nationwide: no jurisdiction scope
    overall = _latest(None, Assessment.overall_score.label("score")).where(in_sector).subquery()
    median, organizations = _medians(overall, []).get((), (0, 0))
    if organizations < MIN_PEERS:
        return None
    by_priority = (
        _latest(
            None,
            AssessmentPriorityScore.priority_id.label("priority_id"),
            AssessmentPriorityScore.score.label("score"),
        )
        .join(AssessmentPriorityScore, AssessmentPriorityScore.assessment_id == Assessment.id)
        .where(in_sector, AssessmentPriorityScore.priority_id.in_(priority_ids))
        .subquery()
    )
    medians = {key[0]: value for key, value in _medians(by_priority, ["priority_id"]).items()}
    return PeerBenchmark(
        sector,
        organizations,
        median,
        {pid: medians[pid][0] for pid in priority_ids if medians.get(pid, (0, 0))[1] >= MIN_PEERS},
    )
