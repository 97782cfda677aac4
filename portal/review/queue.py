"""The coordinator's queue: one query, scoped to the jurisdiction, filtered, keyset-paginated."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from portal import access, safe_json
from portal.extensions import db
from portal.figures import bands
from portal.figures.cache import cached_figures, scope_key
from portal.models import (
    Assessment,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    ToolRequest,
    ToolRequestStatus,
    User,
    name_key,
)
from portal.questionnaire.sectors import SECTOR_IDS

PAGE_SIZE = 25
QUEUE_STATUSES = (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED, AssessmentStatus.ACCEPTED)
# sort name -> (columns, descending)
SORTS = {
    "newest": ((Assessment.submitted_at, Assessment.id), True),
    "oldest": ((Assessment.submitted_at, Assessment.id), False),
    "score_low": ((Assessment.overall_score, Assessment.id), False),
    "score_high": ((Assessment.overall_score, Assessment.id), True),
    "name": ((Organization.name_key, Assessment.id), False),
}


class BadCursor(ValueError):
    """A page link that was not made by us (or for another sort order)."""


@dataclass(frozen=True)
class Filters:
    sector: str = ""
    county: str = ""
    county_fips: str = ""  # from the county map: exact, where names repeat across states
    status: str = ""
    tier: str = ""
    score: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    search: str = ""
    sort: str = "newest"


@dataclass(frozen=True)
class QueuePage:
    rows: list[Assessment]
    next_cursor: str | None
    counts: dict[str, int]


def _scoped(user: User) -> sa.Select[Any]:
    return (
        sa.select(Assessment)
        .join(Organization, Assessment.organization_id == Organization.id)
        # Every row shows its organization: load them with the page, not one query per row.
        .options(orm.contains_eager(Assessment.organization))
        .where(access.organization_scope(user), Assessment.status.in_(QUEUE_STATUSES))
    )


def _filtered(query: sa.Select[Any], f: Filters, *, with_status: bool = True) -> sa.Select[Any]:
    if f.sector:
        query = query.where(
            Organization.id.in_(
                sa.select(OrganizationSector.organization_id).where(
                    OrganizationSector.sector == f.sector
                )
            )
        )
    if f.county:
        query = query.where(sa.func.lower(Organization.county) == f.county.strip().lower())
    if f.county_fips:
        query = query.where(Organization.county_fips == f.county_fips)
    if with_status and f.status:
        query = query.where(Assessment.status == f.status)
    if f.tier:
        query = query.where(Assessment.overall_tier == f.tier)
    if f.score:
        band = bands.BY_KEY[f.score]
        query = query.where(Assessment.overall_score.between(band.low, band.high))
    if f.submitted_from:
        query = query.where(
            Assessment.submitted_at >= datetime.combine(f.submitted_from, time.min, UTC)
        )
    if f.submitted_to:
        query = query.where(
            Assessment.submitted_at <= datetime.combine(f.submitted_to, time.max, UTC)
        )
    if f.search:
        query = query.where(Organization.name_key.contains(name_key(f.search), autoescape=True))
    return query


def queue_page(user: User, f: Filters, cursor: str | None) -> QueuePage:
    columns, descending = SORTS[f.sort]
    # Two steps ("deferred join"): find the page's ids walking the sort index alone — it carries
    # status and organization, so rows of other jurisdictions are skipped without reading them —
    # then load just those rows. Reading every skipped row made the page grow with the country.
    ids = _filtered(_scoped(user), f).with_only_columns(Assessment.id)
    if f.sort in ("newest", "oldest"):
        # Every row of the queue has been submitted; saying so lets the index scan start past
        # the drafts' NULLs, which sort first newest-first on PostgreSQL (9,390 rows at national
        # size: the admin's first page 85 ms → 3 ms).
        ids = ids.where(Assessment.submitted_at.is_not(None))
    if cursor:
        values = decode_cursor(cursor, f.sort)
        # A plain tuple on the right: each value is typed by its column (UTCDateTime stores
        # naive UTC); sa.tuple_(*values) would send an aware timestamp that PostgreSQL shifts
        # by the session's time zone.
        key = sa.tuple_(*columns)
        ids = ids.where(key < tuple(values) if descending else key > tuple(values))
    order = [c.desc() if descending else c.asc() for c in columns]
    page_ids = ids.order_by(*order).limit(PAGE_SIZE + 1).scalar_subquery()
    query = _scoped(user).where(Assessment.id.in_(page_ids)).order_by(*order)
    rows = list(db.session.scalars(query))
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor(rows[-1], f.sort)
    return QueuePage(rows, next_cursor, status_counts(user, f))


def status_counts(user: User, f: Filters) -> dict[str, int]:
    """Rows per status under the other filters. Counting is the one part of a queue page whose
    cost grows with the jurisdiction, so the counts are cached briefly per scope and filters
    (and dropped by any submission or decision)."""

    def compute() -> dict[str, int]:
        counted = (
            _filtered(_scoped(user), f, with_status=False)
            .with_only_columns(Assessment.status, sa.func.count())
            .group_by(Assessment.status)
        )
        counts = {s.value: 0 for s in QUEUE_STATUSES}
        for status, count in db.session.execute(counted):
            counts[AssessmentStatus(status).value] = count
        return counts

    filters = replace(f, status="", sort="")
    return cached_figures(f"queue-counts:{scope_key(user)}:{filters!r}", compute)


EXPORT_LIMIT = 50_000


class ExportRow(NamedTuple):
    """A queue row as the exports give it, its fields in the columns' order (CSV and
    spreadsheet: exports.coordinator.QUEUE_COLUMNS)."""

    assessment_id: int
    organization: str
    state: str
    county: str
    sectors: str  # ids, space-separated
    ownership: str
    status: str
    submitted_at: datetime | None
    score: int | None
    tier: str | None
    critical_gaps: int | None


EXPORT_BATCH = 1000


def export_rows(user: User, f: Filters) -> Iterator[ExportRow]:
    """Every row the filters select, in the chosen order, up to EXPORT_LIMIT — read from the
    database a batch at a time (a state's whole queue is never in memory at once)."""
    columns, descending = SORTS[f.sort]
    order = [c.desc() if descending else c.asc() for c in columns]
    sectors = (
        sa.select(sa.func.aggregate_strings(OrganizationSector.sector, " "))
        .where(OrganizationSector.organization_id == Organization.id)
        .scalar_subquery()
    )
    query = (
        _filtered(_scoped(user), f)
        .with_only_columns(
            Assessment.id,
            Organization.name,
            Organization.state,
            Organization.county,
            sectors,
            Organization.ownership,
            Assessment.status,
            Assessment.submitted_at,
            Assessment.overall_score,
            Assessment.overall_tier,
            Assessment.critical_gap_count,
        )
        .order_by(*order)
        .limit(EXPORT_LIMIT)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for row in db.session.execute(query):
        (id_, name, state, county, sector_ids, ownership, status, submitted, score, tier,
         critical) = row  # fmt: skip
        yield ExportRow(
            id_,
            name,
            state,
            county,
            " ".join(sorted((sector_ids or "").split(), key=SECTOR_IDS.index)),
            ownership.value,
            status.value,
            submitted,
            score,
            tier,
            critical,
        )


def accepted_latest(user: User, f: Filters, limit: int) -> tuple[list[tuple[int, int]], int]:
    """Each organization's latest accepted assessment among those the filters select (the
    status filter aside) — one that resubmitted since keeps its accepted one here: the first
    ``limit`` as (assessment id, organization id), and how many there are."""
    latest = (
        sa.select(sa.func.max(Assessment.id))
        .where(Assessment.status == AssessmentStatus.ACCEPTED)
        .group_by(Assessment.organization_id)
    )
    query = (
        _filtered(_scoped(user), f, with_status=False)
        .where(Assessment.id.in_(latest))
        .with_only_columns(Assessment.id, Assessment.organization_id)
        .order_by(Assessment.id)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(limit))
    return [(assessment_id, organization_id) for assessment_id, organization_id in rows], total


def encode_cursor(row: Assessment, sort: str) -> str:
    if sort in ("newest", "oldest"):
        first: Any = row.submitted_at.isoformat() if row.submitted_at else None
    elif sort.startswith("score"):
        first = row.overall_score
    else:
        first = row.organization.name_key
    return _pack(sort, first, row.id)


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    first, row_id = _unpack(cursor, sort)
    if sort in ("newest", "oldest"):
        return _aware(first), row_id
    if sort.startswith("score"):
        if not isinstance(first, int) or isinstance(first, bool) or not 0 <= first <= 100:
            raise BadCursor  # a score is 0-100; a larger number would overflow SQLite's integer
        return first, row_id
    if not isinstance(first, str):
        raise BadCursor
    return first, row_id


# A cursor we issue holds a sort name, one value and an id: under 2,000 characters even for a
# 200-character name in a non-Latin script (6 bytes a character as JSON, then base64).
MAX_CURSOR_LENGTH = 4096


def _pack(made_for: str, first: Any, row_id: int) -> str:
    """An opaque page link: what it was made for, the last row's sort value and id."""
    raw = json.dumps([made_for, first, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(cursor: str, made_for: str) -> tuple[Any, int]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode())
        tag, first, row_id = safe_json.parse(raw, max_bytes=MAX_CURSOR_LENGTH, max_depth=1)
    except (ValueError, TypeError) as error:  # (JsonRefused and binascii.Error too)
        raise BadCursor from error
    # Ids within those we issue (and SQLite's integer range: a larger one would raise).
    if tag != made_for or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise BadCursor
    if not 0 < row_id < 2**31:
        raise BadCursor
    return first, row_id


def _aware(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except (ValueError, TypeError) as error:
        raise BadCursor from error
    if when.tzinfo is None:
        raise BadCursor
    try:
        when.astimezone(UTC)  # year 1 at +01:00 is before the first representable instant
    except OverflowError as error:
        raise BadCursor from error
    return when


# --- tool-access requests: oldest first (the order they should be decided in) ------------------

REQUEST_PAGE_SIZE = 50


@dataclass(frozen=True)
class RequestPage:
    rows: list[ToolRequest]
    next_cursor: str | None
    counts: dict[str, int]  # per status, in the user's scope

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def tool_request_page(user: User, status: str, cursor: str | None) -> RequestPage:
    """One page of the requests in ``user``'s scope with ``status`` ("all": any)."""
    scoped = (
        sa.select(ToolRequest).join(ToolRequest.organization).where(access.organization_scope(user))
    )
    query = scoped.options(orm.contains_eager(ToolRequest.organization))  # one query, not per row
    if status != "all":
        query = query.where(ToolRequest.status == status)
    if cursor:
        query = query.where(
            # (a plain tuple, typed by the columns: see queue_page)
            sa.tuple_(ToolRequest.created_at, ToolRequest.id) > _decode_request_cursor(cursor)
        )
    rows = list(
        db.session.scalars(
            query.order_by(ToolRequest.created_at, ToolRequest.id).limit(REQUEST_PAGE_SIZE + 1)
        )
    )
    next_cursor = None
    if len(rows) > REQUEST_PAGE_SIZE:
        rows = rows[:REQUEST_PAGE_SIZE]
        next_cursor = _pack("requests", rows[-1].created_at.isoformat(), rows[-1].id)

    def counts() -> dict[str, int]:
        counted = scoped.with_only_columns(ToolRequest.status, sa.func.count()).group_by(
            ToolRequest.status
        )
        found = {s.value: 0 for s in ToolRequestStatus}
        for row_status, count in db.session.execute(counted):
            found[ToolRequestStatus(row_status).value] = count
        return found

    # Counting grows with the scope; cached like the queue's (sending or deciding clears it).
    key = f"request-counts:{scope_key(user)}"
    return RequestPage(rows, next_cursor, cached_figures(key, counts))


def _decode_request_cursor(cursor: str) -> tuple[datetime, int]:
    created, row_id = _unpack(cursor, "requests")
    return _aware(created), row_id
