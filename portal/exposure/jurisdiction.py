"""Exposure across a coordinator's jurisdiction: which exploited products its organizations run.

Scoped exactly like the review queue (``access.organization_scope``): a coordinator never sees
another jurisdiction's inventories. Counts aggregate the inventory per product family first and
the catalog per family second, then join the two small results — so the cost follows the number
of products in scope, not products × catalog entries (Windows alone has 200 entries).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from portal import access, audit
from portal.exposure import catalog
from portal.exposure.inventory import as_entry, family, in_use
from portal.extensions import db
from portal.kev.exposure import ProductMatch, rank_entries
from portal.mail import notices
from portal.models import (
    AuditEvent,
    InventoryItem,
    KevEntryFamily,
    KevImport,
    Organization,
    User,
    utcnow,
)
from portal.models import KevEntry as KevEntryRow

PAGE_SIZE = 100
NOTIFY_AGAIN_AFTER_HOURS = 24


@dataclass(frozen=True)
class ProductExposure:
    family_key: str
    label: str
    organizations: int
    internet_facing: int  # organizations that run it facing the internet
    entries: int
    ransomware: bool
    newest: date


def products_in_scope(user: User) -> list[ProductExposure]:
    """Exploited products run in the user's scope, by number of organizations running them."""
    inventory = (
        sa.select(
            InventoryItem.family_key.label("family_key"),
            sa.func.count(sa.distinct(InventoryItem.organization_id)).label("organizations"),
            sa.func.count(
                sa.distinct(sa.case((InventoryItem.internet_facing, InventoryItem.organization_id)))
            ).label("internet_facing"),
        )
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(access.organization_scope(user), InventoryItem.family_key.is_not(None))
        .group_by(InventoryItem.family_key)
        .subquery()
    )
    entries = (
        sa.select(
            KevEntryFamily.family_key.label("family_key"),
            sa.func.count().label("entries"),
            sa.func.max(sa.cast(KevEntryRow.known_ransomware, sa.Integer)).label("ransomware"),
            sa.func.max(KevEntryRow.date_added).label("newest"),
        )
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .group_by(KevEntryFamily.family_key)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            inventory.c.family_key,
            inventory.c.organizations,
            inventory.c.internet_facing,
            entries.c.entries,
            entries.c.ransomware,
            entries.c.newest,
        )
        .join(entries, entries.c.family_key == inventory.c.family_key)
        .order_by(inventory.c.organizations.desc(), inventory.c.family_key)
    ).all()
    return [
        ProductExposure(
            key,
            _label(key),
            orgs,
            facing,
            n,
            bool(ransom),
            newest,
        )
        for key, orgs, facing, n, ransom, newest in rows
    ]


@dataclass(frozen=True)
class NewEntry:
    cve_id: str
    name: str
    known_ransomware: bool
    date_added: date
    organizations: int
    products: tuple[str, ...]


def new_entries_in_scope(user: User) -> tuple[KevImport | None, list[NewEntry]]:
    """Entries the latest import added that hit organizations in scope. (None, []) before the
    second import: the first one has nothing to compare with."""
    latest = catalog.latest_import()
    if latest is None or catalog.previous_import(latest) is None:
        return latest, []
    rows = db.session.execute(
        sa.select(
            KevEntryRow.cve_id,
            KevEntryRow.vulnerability_name,
            KevEntryRow.known_ransomware,
            KevEntryRow.date_added,
            KevEntryFamily.family_key,
            sa.func.count(sa.distinct(InventoryItem.organization_id)),
        )
        .join(KevEntryFamily, KevEntryFamily.cve_id == KevEntryRow.cve_id)
        .join(InventoryItem, InventoryItem.family_key == KevEntryFamily.family_key)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(KevEntryRow.first_import_id == latest.id, access.organization_scope(user))
        .group_by(
            KevEntryRow.cve_id,
            KevEntryRow.vulnerability_name,
            KevEntryRow.known_ransomware,
            KevEntryRow.date_added,
            KevEntryFamily.family_key,
        )
    ).all()
    merged: dict[str, NewEntry] = {}
    for cve, name, ransom, added, key, orgs in rows:
        before = merged.get(cve)
        merged[cve] = NewEntry(
            cve,
            name,
            ransom,
            added,
            (before.organizations if before else 0) + orgs,
            ((before.products if before else ()) + (_label(key),)),
        )
    return latest, sorted(merged.values(), key=lambda e: (-e.organizations, e.cve_id))


@dataclass(frozen=True)
class AffectedOrganization:
    id: int
    name: str
    state: str
    county: str
    products: tuple[str, ...]  # as the organization typed them (vendor product version)
    internet_facing: bool
    managed_by_msp: bool


def affected_organizations(
    user: User, family_key: str | None = None, page: int = 1, size: int = PAGE_SIZE
) -> tuple[list[AffectedOrganization], bool]:
    """Organizations in scope running an exploited product (``family_key``: that one only),
    by name; a page, and whether there is another."""
    ids = (
        sa.select(Organization.id)
        .join(InventoryItem, InventoryItem.organization_id == Organization.id)
        .where(
            access.organization_scope(user),
            InventoryItem.family_key.is_not(None),
            sa.exists(
                sa.select(KevEntryFamily.cve_id).where(
                    KevEntryFamily.family_key == InventoryItem.family_key
                )
            ),
        )
        .group_by(Organization.id, Organization.name)
        .order_by(Organization.name, Organization.id)
    )
    if family_key is not None:
        ids = ids.where(InventoryItem.family_key == family_key)
    chosen = list(db.session.scalars(ids.offset((page - 1) * size).limit(size + 1)))
    more = len(chosen) > size
    return _describe(chosen[:size], family_key), more


def all_affected(user: User) -> Iterator[AffectedOrganization]:
    """Every affected organization in scope (the CSV), a page at a time."""
    page = 1
    while True:
        rows, more = affected_organizations(user, None, page, 500)
        yield from rows
        if not more:
            return
        page += 1


def _describe(org_ids: list[int], family_key: str | None) -> list[AffectedOrganization]:
    if not org_ids:
        return []
    query = (
        sa.select(Organization, InventoryItem)
        .join(InventoryItem, InventoryItem.organization_id == Organization.id)
        .where(
            Organization.id.in_(org_ids),
            sa.exists(
                sa.select(KevEntryFamily.cve_id).where(
                    KevEntryFamily.family_key == InventoryItem.family_key
                )
            ),
        )
    )
    if family_key is not None:
        query = query.where(InventoryItem.family_key == family_key)
    grouped: dict[int, tuple[Organization, list[InventoryItem]]] = {}
    for org, item in db.session.execute(query):
        grouped.setdefault(org.id, (org, []))[1].append(item)
    result = []
    for org_id in org_ids:
        org, items = grouped[org_id]
        result.append(
            AffectedOrganization(
                org.id,
                org.name,
                org.state,
                org.county,
                tuple(in_use(i).name for i in items),
                any(i.internet_facing for i in items),
                any(i.managed_by_msp for i in items),
            )
        )
    return result


def _label(family_key: str) -> str:
    known = family(family_key)
    return known.label if known else family_key


# --- telling the organizations ------------------------------------------------------------------


class NotifyRefused(ValueError):
    """A notice not sent, with the reason."""


def notify_affected(user: User, family_key: str) -> int:
    """Write to every organization in scope that runs ``family_key``: each message names only
    that organization's own products and their entries. Returns how many organizations."""
    if family(family_key) is None:
        raise NotifyRefused("That product is not in the catalog.")
    since = utcnow() - timedelta(hours=NOTIFY_AGAIN_AFTER_HOURS)
    recent = db.session.scalar(
        sa.select(AuditEvent.id).where(
            AuditEvent.action == "exposure.notified",
            AuditEvent.actor_id == user.id,
            AuditEvent.object_type == "ProductFamily",
            AuditEvent.at >= since,
            AuditEvent.details["family_key"].as_string() == family_key,
        )
    )
    if recent is not None:
        raise NotifyRefused(
            "You wrote to these organizations about this product in the last 24 hours."
        )
    count = 0
    for org_id, matches in _matches_in_scope(user, family_key):
        notices.exploited_products(
            org_id, _items_for_notice(matches), coordinator=user, new_entries=False
        )
        count += 1
    audit.record(
        "exposure.notified",
        object_type="ProductFamily",
        actor=user,
        family_key=family_key,
        organizations=count,
    )
    return count


def _matches_in_scope(user: User, family_key: str) -> Iterator[tuple[int, list[ProductMatch]]]:
    rows = db.session.execute(
        sa.select(InventoryItem, KevEntryRow)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .join(KevEntryFamily, KevEntryFamily.family_key == InventoryItem.family_key)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .where(access.organization_scope(user), InventoryItem.family_key == family_key)
        .order_by(InventoryItem.organization_id, InventoryItem.id)
    ).all()
    yield from _group_by_organization(rows)


def _group_by_organization(
    rows: Sequence[Any],
) -> Iterator[tuple[int, list[ProductMatch]]]:
    """(organization id, its matched products) from (item, entry) rows ordered by organization."""
    by_org: dict[int, dict[int, tuple[InventoryItem, list[KevEntryRow]]]] = {}
    for item, entry in rows:
        by_org.setdefault(item.organization_id, {}).setdefault(item.id, (item, []))[1].append(entry)
    for org_id, items in by_org.items():
        yield (
            org_id,
            [
                ProductMatch(in_use(item), rank_entries([as_entry(e) for e in entries]))
                for item, entries in items.values()
            ],
        )


def _items_for_notice(matches: list[ProductMatch]) -> list[notices.ExploitedProduct]:
    return [
        notices.ExploitedProduct(
            name=m.product.name,
            typed=" ".join(
                p for p in (m.product.vendor, m.product.product, m.product.version) if p
            ),
            internet_facing=m.product.internet_facing,
            entries=[
                notices.ExploitedEntry(e.cve_id, e.vulnerability_name, e.known_ransomware)
                for e in m.entries
            ],
        )
        for m in matches
    ]


def notify_new_matches(import_id: int) -> int:
    """After an import: tell every organization whose products match entries this import added
    (or items it could match for the first time). Returns how many organizations."""
    rows = db.session.execute(
        sa.select(InventoryItem, KevEntryRow)
        .join(KevEntryFamily, KevEntryFamily.family_key == InventoryItem.family_key)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .where(
            sa.or_(
                KevEntryRow.first_import_id == import_id,
                InventoryItem.resolved_import_id == import_id,
            )
        )
        .order_by(InventoryItem.organization_id, InventoryItem.id)
    ).all()
    count = 0
    for org_id, matches in _group_by_organization(rows):
        notices.exploited_products(
            org_id, _items_for_notice(matches), coordinator=None, new_entries=True
        )
        count += 1
    return count
