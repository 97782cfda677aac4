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

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import access, audit
from portal.exposure import catalog
from portal.exposure.inventory import as_entry, family, in_use
from portal.extensions import db
from portal.kev.catalog import KevEntry
from portal.kev.matching import ProductMatch, rank_entries
from portal.mail import notices
from portal.models import (
    AuditEvent,
    InventoryItem,
    KevEntryFamily,
    KevImport,
    KevTriage,
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
    hits = (
        sa.select(KevEntryFamily.cve_id, KevEntryFamily.family_key, InventoryItem.organization_id)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .join(InventoryItem, InventoryItem.family_key == KevEntryFamily.family_key)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(KevEntryRow.first_import_id == latest.id, access.organization_scope(user))
        .subquery()
    )
    # Organizations counted once per entry, though two of their products (FortiOS and
    # FortiProxy) may share it.
    counts: dict[str, int] = dict(
        db.session.execute(
            sa.select(hits.c.cve_id, sa.func.count(sa.distinct(hits.c.organization_id))).group_by(
                hits.c.cve_id
            )
        ).all()
    )
    families: dict[str, set[str]] = {}
    for cve, key in db.session.execute(sa.select(hits.c.cve_id, hits.c.family_key).distinct()):
        families.setdefault(cve, set()).add(key)
    entries = db.session.scalars(
        sa.select(KevEntryRow).where(KevEntryRow.cve_id.in_(sorted(counts)))
    ).all()
    merged = {
        e.cve_id: NewEntry(
            e.cve_id,
            e.vulnerability_name,
            e.known_ransomware,
            e.date_added,
            counts[e.cve_id],
            tuple(sorted(_label(k) for k in families[e.cve_id])),
        )
        for e in entries
    }
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
    open_flaws: int = 0  # matches not settled (or settled for another version than run now)
    settled_flaws: int = 0


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
    # Columns, not Organization objects: their eager-loaded sectors would cost a query more and
    # a row per sector, for nothing shown here.
    query = (
        sa.select(Organization.id, Organization.name, Organization.state, Organization.county)
        .add_columns(InventoryItem)
        .join(InventoryItem, InventoryItem.organization_id == Organization.id)
        .where(
            Organization.id.in_(org_ids),
            sa.exists(
                sa.select(KevEntryFamily.cve_id).where(
                    KevEntryFamily.family_key == InventoryItem.family_key
                )
            ),
        )
        .order_by(InventoryItem.id)
    )
    if family_key is not None:
        query = query.where(InventoryItem.family_key == family_key)
    grouped: dict[int, tuple[tuple[str, str, str], list[InventoryItem]]] = {}
    for org_id, name, state, county, item in db.session.execute(query):
        grouped.setdefault(org_id, ((name, state, county), []))[1].append(item)
    item_ids = [i.id for _unused, items in grouped.values() for i in items]
    totals, settled = _flaw_counts(item_ids)
    result = []
    for org_id in org_ids:
        if org_id not in grouped:
            continue  # its product was removed between the two queries
        (name, state, county), items = grouped[org_id]
        done = sum(settled.get(i.id, 0) for i in items)
        result.append(
            AffectedOrganization(
                org_id,
                name,
                state,
                county,
                tuple(_typed(i) for i in items),
                any(i.internet_facing for i in items),
                any(i.managed_by_msp for i in items),
                sum(totals.get(i.id, 0) for i in items) - done,
                done,
            )
        )
    return result


def _flaw_counts(item_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """(matches per item, settled matches per item): settled for the version run now."""
    if not item_ids:
        return {}, {}
    totals = dict(
        db.session.execute(
            sa.select(InventoryItem.id, sa.func.count(KevEntryFamily.cve_id))
            .join(KevEntryFamily, KevEntryFamily.family_key == InventoryItem.family_key)
            .where(InventoryItem.id.in_(item_ids))
            .group_by(InventoryItem.id)
        ).all()
    )
    settled = dict(
        db.session.execute(
            sa.select(InventoryItem.id, sa.func.count(KevTriage.id))
            .join(KevTriage, KevTriage.inventory_item_id == InventoryItem.id)
            .join(
                KevEntryFamily,
                sa.and_(
                    KevEntryFamily.family_key == InventoryItem.family_key,
                    KevEntryFamily.cve_id == KevTriage.cve_id,
                ),
            )
            .where(
                InventoryItem.id.in_(item_ids),
                KevTriage.state != "open",
                KevTriage.item_version == InventoryItem.version,
            )
            .group_by(InventoryItem.id)
        ).all()
    )
    return totals, settled


def _typed(item: InventoryItem) -> str:
    """A product as the organization listed it, with what it was matched to when that differs
    ("FortiGate 7.0.12 (Fortinet FortiOS)")."""
    typed = " ".join(p for p in (item.vendor, item.product, item.version) if p)
    label = in_use(item).family_label
    return f"{typed} ({label})" if label and label.lower() not in typed.lower() else typed


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
        raise NotifyRefused(_("That product is not in the catalog."))
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
            _("You wrote to these organizations about this product in the last 24 hours.")
        )
    batch = [
        (org_id, _items_for_notice(matches))
        for org_id, matches in _matches_in_scope(user, family_key)
    ]
    told = notices.exploited_products(batch, coordinator=user, new_entries=False)
    audit.record(
        "exposure.notified",
        object_type="ProductFamily",
        actor=user,
        family_key=family_key,
        organizations=told,
    )
    return told


def _matches_in_scope(user: User, family_key: str) -> Iterator[tuple[int, list[ProductMatch]]]:
    items = db.session.scalars(
        sa.select(InventoryItem)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(access.organization_scope(user), InventoryItem.family_key == family_key)
        .order_by(InventoryItem.organization_id, InventoryItem.id)
    ).all()
    entries = _entries_of({family_key})
    yield from _by_organization([(item, entries.get(family_key, [])) for item in items])


def _entries_of(family_keys: set[str]) -> dict[str, list[KevEntry]]:
    """Each family's catalog entries (a few families: one small query)."""
    found: dict[str, list[KevEntry]] = {}
    if not family_keys:
        return found
    rows = db.session.execute(
        sa.select(KevEntryFamily.family_key, KevEntryRow)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .where(KevEntryFamily.family_key.in_(sorted(family_keys)))
    ).all()
    for key, row in rows:
        found.setdefault(key, []).append(as_entry(row))
    return found


def _by_organization(
    pairs: Sequence[tuple[InventoryItem, list[KevEntry]]],
) -> Iterator[tuple[int, list[ProductMatch]]]:
    """(organization id, its matched products) from (item, its entries) ordered by organization."""
    by_org: dict[int, list[ProductMatch]] = {}
    for item, entries in pairs:
        if entries:
            by_org.setdefault(item.organization_id, []).append(
                ProductMatch(in_use(item), rank_entries(entries))
            )
    yield from by_org.items()


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


def notify_new_matches(import_id: int, after_organization_id: int, limit: int) -> tuple[int, int]:
    """Tell the next ``limit`` organizations (by id, after ``after_organization_id``) whose
    products match entries this import added — or which it matched for the first time — what is
    new for them. Returns (organizations told, the last organization id done; 0 when none was
    left). The organizations are found in SQL for all of them at once; a chunk is one
    transaction of the caller's."""
    new_families = (
        sa.select(KevEntryFamily.family_key)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .where(KevEntryRow.first_import_id == import_id)
    )
    hit = sa.or_(
        InventoryItem.family_key.in_(new_families), InventoryItem.resolved_import_id == import_id
    )
    org_ids = list(
        db.session.scalars(
            sa.select(InventoryItem.organization_id)
            .where(hit, InventoryItem.organization_id > after_organization_id)
            .group_by(InventoryItem.organization_id)
            .order_by(InventoryItem.organization_id)
            .limit(limit)
        )
    )
    if not org_ids:
        return 0, 0
    items = db.session.scalars(
        sa.select(InventoryItem)
        .where(InventoryItem.organization_id.in_(org_ids), hit)
        .order_by(InventoryItem.organization_id, InventoryItem.id)
    ).all()
    entries = _entries_of({i.family_key for i in items if i.family_key})
    added = frozenset(
        db.session.scalars(
            sa.select(KevEntryRow.cve_id).where(KevEntryRow.first_import_id == import_id)
        )
    )
    # An item matched for the first time: all its entries are news; otherwise only the new ones.
    pairs = [
        (
            item,
            [
                e
                for e in entries.get(item.family_key or "", [])
                if item.resolved_import_id == import_id or e.cve_id in added
            ],
        )
        for item in items
    ]
    batch = [(org_id, _items_for_notice(m)) for org_id, m in _by_organization(pairs)]
    told = notices.exploited_products(batch, coordinator=None, new_entries=True)
    return told, org_ids[-1]
