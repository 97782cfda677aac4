"""Regional figures for coordinators and peer benchmarks for operators.

Everything is computed from each organization's *latest* submitted (or accepted) assessment — the
one flagged ``is_latest_submission`` — with its stored scores, never recomputed, and aggregated in
SQL (counts, means and medians), so a page costs a fixed handful of queries however many
organizations it covers. Peer figures are shown to operators only where at least
:data:`MIN_PEERS` organizations contribute, so no figure can describe one organization.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import access
from portal.extensions import cache, db
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
)

log = logging.getLogger(__name__)
MIN_PEERS = 5
BANDS = ((0, 39, "0–39"), (40, 69, "40–69"), (70, 89, "70–89"), (90, 100, "90–100"))


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


def sector_scores(user: User | None) -> list[dict[str, Any]]:
    """Per sector: organizations that submitted, median score, and how many fall in each band."""
    scored = _latest(
        user, OrganizationSector.sector.label("sector"), Assessment.overall_score.label("score")
    ).subquery()
    bands = [
        sa.func.sum(sa.case((scored.c.score.between(low, high), 1), else_=0)).label(label)
        for low, high, label in BANDS
    ]
    totals = db.session.execute(
        sa.select(scored.c.sector, sa.func.count().label("organizations"), *bands)
        .group_by(scored.c.sector)
        .order_by(scored.c.sector)
    ).all()
    medians = _medians(scored, ["sector"])
    return [
        {
            "sector": str(row.sector),
            "organizations": row.organizations,
            "median": medians[(row.sector,)][0],
            **{label: int(getattr(row, label) or 0) for _, _, label in BANDS},
        }
        for row in totals
    ]


def heat_level(user: User) -> str:
    """Rows of the heat map: counties within one state, states when the scope spans several."""
    if user.role is Role.COORDINATOR and len({j.state for j in user.jurisdictions}) == 1:
        return "county"
    return "state"


def weakest_priorities(
    user: User | None, priority_ids: list[str], level: str = "county"
) -> list[dict[str, Any]]:
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
            {
                "sector": str(key[0]),
                "place": label(key),
                "organizations": counts.get(key, 0),
                "scores": {pid: scores.get(pid) for pid in priority_ids},
                "weakest": min(known, key=lambda k: known[k]) if known else None,
            }
        )
    return table


def common_critical_gaps(user: User | None, limit: int = 10) -> list[tuple[str, int]]:
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
    return [(question_id, n) for question_id, n in db.session.execute(query)]


def tool_request_counts(user: User) -> list[tuple[str, str, int]]:
    query = (
        sa.select(ToolRequestItem.tool_id, ToolRequest.status, sa.func.count())
        .join(ToolRequest, ToolRequest.id == ToolRequestItem.request_id)
        .where(ToolRequest.organization_id.in_(_organizations(user)))
        .group_by(ToolRequestItem.tool_id, ToolRequest.status)
        .order_by(ToolRequestItem.tool_id, ToolRequest.status)
    )
    return [(tool, status.value, count) for tool, status, count in db.session.execute(query)]


@dataclass(frozen=True)
class PeerBenchmark:
    sector: str
    organizations: int
    median: int
    priority_medians: dict[str, int]


PEER_CACHE_SECONDS = 300


def _peer_cache_key(sector: str) -> str:
    return f"peer-benchmark:{sector}"


def figures_changed(sectors: list[str]) -> None:
    """A submission was added or withdrawn, or a tool request sent or decided: drop cached
    dashboards, and the peer figures of ``sectors``.

    Dashboards are keyed by a generation number that this bumps; peer figures by sector.
    """
    try:
        if sectors:
            cache.delete_many(*(_peer_cache_key(s) for s in sectors))
        cache.cache.inc(DASHBOARD_GENERATION, 1)
    except Exception as error:  # a cache outage must not fail a submission
        log.warning("figure cache unreachable (%s)", error)


_PENDING = "portal.figures_changed"


def figures_changed_on_commit(session: orm.Session, sectors: list[str]) -> None:
    """Clear the cached figures once this transaction has committed — not before, or a request
    in between could cache the old figures again under the new generation."""
    session.info.setdefault(_PENDING, set()).update(sectors)


@sa.event.listens_for(orm.Session, "after_commit")
def _after_commit(session: orm.Session) -> None:
    sectors = session.info.pop(_PENDING, None)
    if sectors is not None:  # (an empty set: dashboards only, no peer figures)
        figures_changed(sorted(sectors))


@sa.event.listens_for(orm.Session, "after_rollback")
def _after_rollback(session: orm.Session) -> None:
    session.info.pop(_PENDING, None)


DASHBOARD_GENERATION = "dashboard-generation"
DASHBOARD_CACHE_SECONDS = 60


def scope_key(user: User) -> str:
    """Users with the same key see the same organizations (cache keys for shared figures)."""
    if user.role is Role.COORDINATOR:
        return ",".join(str(j.id) for j in sorted(user.jurisdictions, key=lambda j: j.id))
    return "all" if user.role is Role.ADMIN else f"user-{user.id}"


def cached_figures(key: str, compute: Any, seconds: int = DASHBOARD_CACHE_SECONDS) -> Any:
    """``compute()``, kept for ``seconds`` under ``key`` and dropped by any status change.

    Keys carry a generation number that :func:`figures_changed` bumps, so figures are never
    older than the last submission or decision this cache has seen.
    """
    try:
        generation = cache.get(DASHBOARD_GENERATION) or 0
    except Exception as error:
        log.warning("figure cache unreachable (%s)", error)
        return compute()
    return _remember(f"figures:{generation}:{key}", compute, seconds)


def _remember(key: str, compute: Any, seconds: int) -> Any:
    """The cached value under ``key``, or ``compute()`` stored there; a cache outage only
    costs the computation, never the page."""
    try:
        cached = cache.get(key)
    except Exception as error:
        log.warning("figure cache unreachable (%s)", error)
        return compute()
    if cached is None:
        cached = compute()
        try:
            cache.set(key, cached, timeout=seconds)
        except Exception as error:
            log.warning("figure cache unreachable (%s)", error)
    return cached


def cached_dashboard(user: User, content_hash: str, compute: Any) -> dict[str, Any]:
    """The dashboard's tables for ``user``'s scope: computed at most once a minute per scope.

    At national scale a state's tables take ~0.5 s of queries; coordinators reload the page
    far more often than the figures change.
    """
    result: dict[str, Any] = cached_figures(f"dashboard:{content_hash}:{scope_key(user)}", compute)
    return result


def peer_benchmark(sector: str, priority_ids: list[str]) -> PeerBenchmark | None:
    """Nationwide figures for a sector, cached for :data:`PEER_CACHE_SECONDS`.

    Across 50,000 water systems the figures cost ~1 s to compute and move slowly; every results
    page shows them. A submission in the sector clears the cache (in this process, or for every
    process when the cache is Redis).
    """
    cached = _remember(
        _peer_cache_key(sector),
        lambda: (priority_ids, _compute_peer_benchmark(sector, priority_ids)),
        PEER_CACHE_SECONDS,
    )
    if cached[0] != priority_ids:  # cached for another questionnaire's priorities
        return _compute_peer_benchmark(sector, priority_ids)
    result: PeerBenchmark | None = cached[1]
    return result


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
