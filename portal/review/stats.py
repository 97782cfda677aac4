"""Regional figures for coordinators and peer benchmarks for operators.

Everything is computed from each organization's *latest* submitted (or accepted) assessment, with
its stored scores — never recomputed. Peer figures are shown to operators only where at least
:data:`MIN_PEERS` organizations contribute, so no figure can describe one organization.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal import access
from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    ToolRequest,
    ToolRequestItem,
    User,
)

MIN_PEERS = 5
SUBMITTED = (AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED)
BANDS = ((0, 39, "0–39"), (40, 69, "40–69"), (70, 89, "70–89"), (90, 100, "90–100"))


def _organizations(user: User | None) -> sa.Select[Any]:
    """Organization ids the figures may draw on: a coordinator's jurisdiction, or all (None)."""
    query = sa.select(Organization.id)
    return query if user is None else query.where(access.organization_scope(user))


@dataclass(frozen=True)
class Latest:
    organization_id: int
    county: str
    state: str
    sectors: tuple[str, ...]
    score: int
    tier: str
    detail: dict[str, Any]


def latest_submissions(user: User | None, sector: str | None = None) -> list[Latest]:
    """Each organization's most recent submitted or accepted assessment (one row each)."""
    newest = (
        sa.select(Assessment.organization_id, sa.func.max(Assessment.submitted_at).label("at"))
        .where(
            Assessment.status.in_(SUBMITTED), Assessment.organization_id.in_(_organizations(user))
        )
        .group_by(Assessment.organization_id)
        .subquery()
    )
    query = (
        sa.select(Assessment, Organization)
        .join(
            newest,
            sa.and_(
                Assessment.organization_id == newest.c.organization_id,
                Assessment.submitted_at == newest.c.at,
            ),
        )
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(Assessment.status.in_(SUBMITTED))
    )
    if sector:
        query = query.where(
            Organization.id.in_(
                sa.select(OrganizationSector.organization_id).where(
                    OrganizationSector.sector == sector
                )
            )
        )
    seen: set[int] = set()
    result = []
    for assessment, organization in db.session.execute(query):
        if organization.id in seen:  # two submissions in the same instant: keep one
            continue
        seen.add(organization.id)
        result.append(
            Latest(
                organization.id,
                organization.county,
                organization.state,
                tuple(s.value for s in organization.sectors),
                assessment.overall_score or 0,
                assessment.overall_tier or "",
                assessment.score_detail or {},
            )
        )
    return result


def status_counts(user: User) -> dict[str, int]:
    """Organizations by where they are: not started, draft, submitted, accepted."""
    latest = (
        sa.select(Assessment.organization_id, sa.func.max(Assessment.id).label("id"))
        .group_by(Assessment.organization_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Assessment.status, sa.func.count())
        .join(latest, Assessment.id == latest.c.id)
        .where(Assessment.organization_id.in_(_organizations(user)))
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


def sector_scores(rows: list[Latest]) -> list[dict[str, Any]]:
    by_sector: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        for sector in row.sectors:
            by_sector[sector].append(row.score)
    table = []
    for sector in sorted(by_sector):
        scores = by_sector[sector]
        bands = {label: sum(1 for s in scores if low <= s <= high) for low, high, label in BANDS}
        table.append(
            {
                "sector": sector,
                "organizations": len(scores),
                "median": round(statistics.median(scores)),
                **bands,
            }
        )
    return table


def weakest_priorities(rows: list[Latest], priority_ids: list[str]) -> list[dict[str, Any]]:
    """Mean score per priority for each (sector, county): the heat map."""
    cells: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        priorities = row.detail.get("priorities", {})
        for sector in row.sectors:
            for pid in priority_ids:
                score = priorities.get(pid, {}).get("score")
                if isinstance(score, int):
                    cells[(sector, f"{row.county}, {row.state}")][pid].append(score)
    table = []
    for (sector, county), values in sorted(cells.items()):
        means = {
            pid: round(statistics.fmean(v)) if v else None
            for pid, v in ((p, values.get(p, [])) for p in priority_ids)
        }
        counted = len(
            {
                row.organization_id
                for row in rows
                if sector in row.sectors and f"{row.county}, {row.state}" == county
            }
        )
        known = {k: v for k, v in means.items() if v is not None}
        table.append(
            {
                "sector": sector,
                "county": county,
                "organizations": counted,
                "scores": means,
                "weakest": min(known, key=lambda k: known[k]) if known else None,
            }
        )
    return table


def common_critical_gaps(rows: list[Latest], limit: int = 10) -> list[tuple[str, int]]:
    counter: Counter[str] = Counter()
    for row in rows:
        counter.update(set(row.detail.get("critical_gaps", [])))
    return counter.most_common(limit)


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


def peer_benchmark(sector: str, priority_ids: list[str]) -> PeerBenchmark | None:
    """Nationwide figures for a sector, or None while fewer than MIN_PEERS have submitted."""
    rows = latest_submissions(None, sector=sector)  # nationwide: no jurisdiction scope
    if len(rows) < MIN_PEERS:
        return None
    medians = {}
    for pid in priority_ids:
        values = [r.detail.get("priorities", {}).get(pid, {}).get("score") for r in rows]
        known = [v for v in values if isinstance(v, int)]
        if len(known) >= MIN_PEERS:
            medians[pid] = round(statistics.median(known))
    return PeerBenchmark(
        sector, len(rows), round(statistics.median(r.score for r in rows)), medians
    )
