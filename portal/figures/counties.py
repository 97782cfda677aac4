"""The county map's figures: four measures per county of a coordinator's state, in SQL (#33).

Each organization counts once, in the one county it registered in (never once per sector it
operates in). Every measure is a figure over a number of organizations — its *base* — and is
shown only where the base is at least :data:`~portal.figures.queries.MIN_PEERS` (the same k ≥ 5
rule as the peer benchmark): a shade never describes one or two organizations.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import access
from portal.counties import County, state_counties
from portal.extensions import db
from portal.figures.queries import MIN_PEERS, _medians
from portal.geography import STATES
from portal.models import (
    Assessment,
    InventoryItem,
    KevEntryFamily,
    KevTriage,
    Organization,
    User,
)

ASSESSED_WITHIN_DAYS = 365


class Measure(enum.StrEnum):
    MEDIAN_SCORE = "median_score"
    ASSESSED = "assessed"
    CRITICAL_GAPS = "critical_gaps"
    KEV_EXPOSURE = "kev_exposure"


@dataclass(frozen=True)
class MeasureDefinition:
    label: Any  # the map's heading and the legend's (lazy: in the reader's language)
    unit: str  # "" for a score, "%" for a share
    definition: Any  # what is counted, over what base — printed under the map and in exports
    higher_is_better: bool


MEASURES: dict[Measure, MeasureDefinition] = {
    Measure.MEDIAN_SCORE: MeasureDefinition(
        _l("Median overall score"),
        "",
        _l(
            "The median overall score (0–100) of each organization's latest submitted "
            "assessment. Base: organizations in the county with a submitted assessment."
        ),
        True,
    ),
    Measure.ASSESSED: MeasureDefinition(
        _l("Assessed in the last 12 months"),
        "%",
        _l(
            "Share of the county's registered organizations whose latest assessment was "
            "submitted in the last %(days)s days. Base: organizations registered in the county.",
            days=ASSESSED_WITHIN_DAYS,
        ),
        True,
    ),
    Measure.CRITICAL_GAPS: MeasureDefinition(
        _l("With a critical gap"),
        "%",
        _l(
            "Share of organizations whose latest submitted assessment has at least one critical "
            "gap (the count its own results page shows: critical questions not in place and "
            "critical products). Base: organizations in the county with a submitted assessment."
        ),
        False,
    ),
    Measure.KEV_EXPOSURE: MeasureDefinition(
        _l("Open known-exploited exposure"),
        "%",
        _l(
            "Share of the county's registered organizations that run a product with a flaw on "
            "CISA's Known Exploited Vulnerabilities list that they have not settled (fixed, "
            "mitigated, not affected, or an end-of-life plan). Base: organizations registered "
            "in the county."
        ),
        False,
    ),
}


@dataclass(frozen=True)
class CountyFigures:
    county: County
    organizations: int  # registered in the county, within the coordinator's scope
    assessed: int  # with a submitted assessment (the base of the score and gap measures)
    assessed_recently: int  # latest submission within ASSESSED_WITHIN_DAYS
    with_critical_gaps: int
    exposed: int  # running a product with an open known-exploited match
    median_score: int | None

    def base(self, measure: Measure) -> int:
        if measure in (Measure.MEDIAN_SCORE, Measure.CRITICAL_GAPS):
            return self.assessed
        return self.organizations

    def shown(self, measure: Measure) -> bool:
        return self.base(measure) >= MIN_PEERS

    def value(self, measure: Measure) -> int | None:
        """The measure, rounded (a score, or a percentage); None where not shown."""
        if not self.shown(measure):
            return None
        if measure is Measure.MEDIAN_SCORE:
            return self.median_score
        part = {
            Measure.ASSESSED: self.assessed_recently,
            Measure.CRITICAL_GAPS: self.with_critical_gaps,
            Measure.KEV_EXPOSURE: self.exposed,
        }[measure]
        return round(100 * part / self.base(measure))


@dataclass(frozen=True)
class CountyMap:
    state: str  # USPS code
    counties: list[CountyFigures]  # every county of the state in the scope, by FIPS code
    outside: frozenset[str]  # FIPS codes of the state's counties outside the scope
    off_map: int  # organizations in scope whose county is not one of the state's (typed before)
    as_of: datetime

    @property
    def organizations(self) -> int:
        return sum(c.organizations for c in self.counties) + self.off_map

    def shown(self, measure: Measure) -> list[CountyFigures]:
        return [c for c in self.counties if c.shown(measure)]


def county_map(user: User, state: str, now: datetime) -> CountyMap | None:
    """The figures of every county of ``state`` that ``user`` covers; None when the state is not
    one the county file holds."""
    counties = state_counties(state)
    if counties is None:
        return None
    scope = sa.and_(access.organization_scope(user), Organization.state == state)
    # One row per organization of the state in scope, its latest submission's stored figures
    # looked up by the organization (an index probe each): the planner otherwise walks every
    # latest submission in the country to join them (140 ms -> 25 ms for Texas).
    per_organization = sa.select(
        Organization.county_fips.label("fips"),
        _latest(Assessment.overall_score).label("score"),
        _latest(Assessment.submitted_at).label("submitted_at"),
        _latest(Assessment.critical_gap_count).label("gaps"),
    ).where(scope)
    orgs = per_organization.subquery()
    recent = orgs.c.submitted_at >= now - timedelta(days=ASSESSED_WITHIN_DAYS)
    counts: dict[str | None, tuple[int, int, int, int]] = {
        fips: (int(n), int(assessed), int(recently or 0), int(gaps or 0))
        for fips, n, assessed, recently, gaps in db.session.execute(
            sa.select(
                orgs.c.fips,
                sa.func.count(),
                sa.func.count(orgs.c.score),
                sa.func.sum(sa.case((recent, 1), else_=0)),
                sa.func.sum(sa.case((orgs.c.gaps > 0, 1), else_=0)),
            ).group_by(orgs.c.fips)
        )
    }
    scored = per_organization.where(
        Organization.county_fips.is_not(None), _latest(Assessment.overall_score).is_not(None)
    ).subquery()
    medians = {key[0]: value[0] for key, value in _medians(scored, ["fips"]).items()}
    exposed = _exposed(scope)
    covered = _covered_counties(user, state, counties.counties)
    rows = []
    for county in counties.counties:
        if county.fips not in covered:
            continue
        registered, assessed, recently, gaps = counts.get(county.fips, (0, 0, 0, 0))
        rows.append(
            CountyFigures(
                county=county,
                organizations=registered,
                assessed=assessed,
                assessed_recently=recently,
                with_critical_gaps=gaps,
                exposed=int(exposed.get(county.fips, 0)),
                median_score=medians.get(county.fips),
            )
        )
    return CountyMap(
        state=state,
        counties=rows,
        outside=frozenset(c.fips for c in counties.counties) - covered,
        off_map=counts.get(None, (0, 0, 0, 0))[0],
        as_of=now,
    )


def _latest(column: Any) -> sa.ScalarSelect[Any]:
    """``column`` of the organization's latest submission (None before its first)."""
    return (
        sa.select(column)
        .where(Assessment.organization_id == Organization.id, Assessment.is_latest_submission)
        .scalar_subquery()
    )


def _exposed(scope: sa.ColumnElement[bool]) -> dict[str | None, int]:
    """Organizations per county that run a product with a known-exploited entry not settled for
    the version it runs now: fewer settled (item, entry) pairs than entries for its family.
    Entries are counted per family and settlements per item first, then joined to the items in
    scope — so the cost follows the products in scope, not products x catalog entries."""
    entries = (
        sa.select(KevEntryFamily.family_key, sa.func.count().label("n"))
        .group_by(KevEntryFamily.family_key)
        .subquery()
    )
    # Settled pairs of entries still in the product's family (a settlement of an entry the
    # family no longer has must not stand in for an open one).
    settled = (
        sa.select(KevTriage.inventory_item_id, sa.func.count().label("n"))
        .join(InventoryItem, InventoryItem.id == KevTriage.inventory_item_id)
        .join(
            KevEntryFamily,
            sa.and_(
                KevEntryFamily.family_key == InventoryItem.family_key,
                KevEntryFamily.cve_id == KevTriage.cve_id,
            ),
        )
        .where(KevTriage.state != "open", KevTriage.item_version == InventoryItem.version)
        .group_by(KevTriage.inventory_item_id)
        .subquery()
    )
    query = (
        sa.select(Organization.county_fips, sa.func.count(sa.distinct(Organization.id)))
        .join(InventoryItem, InventoryItem.organization_id == Organization.id)
        .join(entries, entries.c.family_key == InventoryItem.family_key)
        .outerjoin(settled, settled.c.inventory_item_id == InventoryItem.id)
        .where(scope, sa.func.coalesce(settled.c.n, 0) < entries.c.n)
        .group_by(Organization.county_fips)
    )
    return {fips: int(n) for fips, n in db.session.execute(query)}


def _covered_counties(user: User, state: str, counties: tuple[County, ...]) -> frozenset[str]:
    """FIPS codes of the counties of ``state`` the user's jurisdictions cover (all of them for a
    statewide jurisdiction or an admin)."""
    everything = frozenset(c.fips for c in counties)
    if not user.is_coordinator:
        return everything
    named: set[str] = set()
    for jurisdiction in user.jurisdictions:
        if jurisdiction.state != state:
            continue
        if jurisdiction.is_statewide:
            return everything
        found = state_counties(state)
        for name in jurisdiction.counties:
            county = found.find(name) if found else None
            if county is not None:
                named.add(county.fips)
    return frozenset(named)


def states_of(user: User) -> dict[str, str]:
    """The states whose county map ``user`` may see, by USPS code → name: a coordinator's
    jurisdictions' states; every state and territory for an admin, the states with the most
    organizations first."""
    if user.is_coordinator:
        codes = sorted({j.state for j in user.jurisdictions})
    else:
        counts: dict[str, int] = {
            state: count
            for state, count in db.session.execute(
                sa.select(Organization.state, sa.func.count()).group_by(Organization.state)
            )
        }
        codes = sorted(STATES, key=lambda code: (-counts.get(code, 0), code))
    return {code: STATES[code] for code in codes if state_counties(code) is not None}
