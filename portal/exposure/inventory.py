"""What an organization runs ("products"), and which of it is in the KEV catalog.

An item keeps what the person typed (vendor, product, version) and the product family it was
matched to — by its exact name, or by the suggestion the person picked — or none ("matches
nothing", kept with the caveat). Each change writes an audit row; nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.exposure.catalog import product_catalog
from portal.extensions import db
from portal.kev.catalog import KevEntry
from portal.kev.lifecycle import SupportStatus, load_snapshot
from portal.kev.matching import (
    ProductInUse,
    ProductMatch,
    Triage,
    TriageState,
    rank_entries,
    rank_matches,
)
from portal.kev.products import Family
from portal.models import (
    INVENTORY_CATEGORIES,
    InventoryItem,
    KevEntryFamily,
    KevImport,
    KevTriage,
    Organization,
    User,
    utcnow,
)
from portal.models import KevEntry as KevEntryRow

MAX_ITEMS = 200  # an inventory, not a CMDB: what is worth matching against KEV


class InventoryError(ValueError):
    """A change refused, with a sentence a person understands."""


@dataclass(frozen=True)
class ProductFields:
    category: str
    vendor: str
    product: str
    version: str
    internet_facing: bool
    managed_by_msp: bool


def items_of(organization_id: int) -> list[InventoryItem]:
    return list(
        db.session.scalars(
            sa.select(InventoryItem)
            .where(InventoryItem.organization_id == organization_id)
            .order_by(
                InventoryItem.category, sa.func.lower(InventoryItem.product), InventoryItem.id
            )
        )
    )


def resolve(vendor: str, product: str) -> Family | None:
    return product_catalog().resolve(vendor, product)


def suggest(vendor: str, product: str, limit: int = 5) -> list[Family]:
    """Close names, best first — only the named vendor's products once a vendor is typed."""
    catalog = product_catalog()
    if vendor.strip():
        return catalog.suggest_for(vendor, product, limit)
    return catalog.suggest(product, limit)


def family(key: str | None) -> Family | None:
    return product_catalog().families.get(key) if key else None


def family_labels() -> list[str]:
    """Names for the product field's suggestions (an HTML datalist: no script needed)."""
    return sorted({f.label for f in product_catalog().families.values()}, key=str.lower)


def add_item(
    organization: Organization,
    user: User,
    fields: ProductFields,
    family_key: str | None,
    picked: bool = False,
) -> InventoryItem:
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(InventoryItem)
        .where(InventoryItem.organization_id == organization.id)
    )
    if (count or 0) >= MAX_ITEMS:
        raise InventoryError(
            _(
                "Your list already has %(num)d products. Remove ones you no longer run first.",
                num=MAX_ITEMS,
            )
        )
    item = InventoryItem(organization_id=organization.id)
    _fill(item, user, fields, family_key, picked)
    db.session.add(item)
    db.session.flush()
    audit.record_for(item, "inventory.added", actor=user, product=item.product[:80])
    return item


def update_item(
    item: InventoryItem,
    user: User,
    fields: ProductFields,
    family_key: str | None,
    picked: bool = False,
) -> None:
    _fill(item, user, fields, family_key, picked)
    db.session.flush()
    audit.record_for(item, "inventory.changed", actor=user, product=item.product[:80])


def delete_item(item: InventoryItem, user: User) -> None:
    audit.record_for(item, "inventory.removed", actor=user, product=item.product[:80])
    db.session.delete(item)
    db.session.flush()


def _fill(
    item: InventoryItem,
    user: User,
    fields: ProductFields,
    family_key: str | None,
    picked: bool = False,
) -> None:
    if family_key is not None and family(family_key) is None:
        raise InventoryError(_("That product is no longer in the catalog. Pick it again."))
    if family_key != item.family_key or item.family_since is None:
        item.family_since = utcnow()  # each of its entries is matched from now
    item.category = fields.category
    item.vendor = fields.vendor
    item.product = fields.product
    item.version = fields.version
    item.internet_facing = fields.internet_facing
    item.managed_by_msp = fields.managed_by_msp
    item.family_key = family_key
    item.family_picked = picked
    item.match_name = product_catalog().lookup_name(fields.vendor, fields.product)
    item.updated_by_id = user.id


def in_use(item: InventoryItem) -> ProductInUse:
    known = family(item.family_key)
    return ProductInUse(
        id=item.id,
        category=item.category,
        vendor=item.vendor,
        product=item.product,
        version=item.version,
        internet_facing=item.internet_facing,
        managed_by_msp=item.managed_by_msp,
        family_key=item.family_key,
        family_label=known.label if known else None,
    )


def as_entry(row: KevEntryRow) -> KevEntry:
    return KevEntry(
        row.cve_id,
        row.vendor_project,
        row.product,
        row.vulnerability_name,
        row.date_added,
        row.short_description,
        row.required_action,
        row.due_date,
        row.known_ransomware,
        row.notes,
        tuple(row.cwes or ()),
    )


def matches_for(organization_id: int) -> tuple[ProductMatch, ...]:
    """Each product of the organization with catalog entries, with how each match was settled,
    most urgent first."""
    return tuple(m for m in exposure_of(organization_id) if m.entries)


def exposure_of(organization_id: int, today: date | None = None) -> tuple[ProductMatch, ...]:
    """Every product on the organization's list that has catalog entries, or runs a release
    line past (or near) its end of security support — each with its entries, how each match was
    settled, when the portal first matched each entry, and the line's support status. Three
    queries, however long the list."""
    today = today or utcnow().date()
    rows = db.session.execute(
        sa.select(InventoryItem, KevEntryRow, KevImport.imported_at)
        .join(KevEntryFamily, KevEntryFamily.family_key == InventoryItem.family_key)
        .join(KevEntryRow, KevEntryRow.cve_id == KevEntryFamily.cve_id)
        .join(KevImport, KevImport.id == KevEntryRow.first_import_id)
        .where(InventoryItem.organization_id == organization_id)
    ).all()
    by_item: dict[int, tuple[InventoryItem, list[KevEntry], dict[str, date]]] = {}
    for item, entry, imported_at in rows:
        _unused, entries, first = by_item.setdefault(item.id, (item, [], {}))
        entries.append(as_entry(entry))
        first[entry.cve_id] = _first_matched(item, imported_at)
    settled = triage_of([item_id for item_id in by_item])
    found: list[ProductMatch] = []
    for item, entries, first in by_item.values():
        found.append(
            ProductMatch(
                in_use(item),
                rank_entries(entries),
                tuple(sorted(settled.get(item.id, {}).items())),
                tuple(sorted(first.items())),
                support_of(item, today),
            )
        )
    for item in items_of(organization_id):  # end of support without a catalog entry
        if item.id in by_item:
            continue
        support = support_of(item, today)
        if support is not None and support.state in ("unsupported", "extended"):
            found.append(ProductMatch(in_use(item), (), support=support))
    return rank_matches(found)


def _first_matched(item: InventoryItem, imported_at: datetime) -> date:
    since = item.family_since or item.created_at
    return max(since, imported_at).date()


def support_of(item: InventoryItem, today: date) -> SupportStatus | None:
    """The end-of-support status of the release line the item runs (None: not covered)."""
    return load_snapshot().status(item.family_key, item.product, item.version, today)


def triage_of(item_ids: list[int]) -> dict[int, dict[str, Triage]]:
    """How each match of these items was settled: item id → cve id → triage."""
    found: dict[int, dict[str, Triage]] = {}
    if not item_ids:
        return found
    rows = db.session.execute(
        sa.select(KevTriage, User.full_name, User.email)
        .outerjoin(User, User.id == KevTriage.decided_by_id)
        .where(KevTriage.inventory_item_id.in_(item_ids))
    ).all()
    for row, name, email in rows:
        found.setdefault(row.inventory_item_id, {})[row.cve_id] = Triage(
            TriageState(row.state),
            row.note,
            row.running_version,
            row.item_version,
            name or email or _("a former user"),
            row.decided_at,
            row.revision,
        )
    return found


def match_counts(organization_id: int) -> dict[int, int]:
    """Item id → number of catalog entries it matches (for the list page)."""
    rows = db.session.execute(
        sa.select(InventoryItem.id, sa.func.count(KevEntryFamily.cve_id))
        .join(KevEntryFamily, KevEntryFamily.family_key == InventoryItem.family_key)
        .where(InventoryItem.organization_id == organization_id)
        .group_by(InventoryItem.id)
    ).all()
    counts: dict[int, int] = defaultdict(int)
    counts.update({item_id: n for item_id, n in rows})
    return counts


def restore(organization: Organization, user: User, items: object) -> tuple[int, int]:
    """Add the products of an exported assessment file to the organization's list (those it has
    not already); returns (added, skipped). Each item is checked like a typed one."""
    if not isinstance(items, list):
        return 0, 0
    have = {
        (i.category, i.vendor.lower(), i.product.lower(), i.version.lower())
        for i in items_of(organization.id)
    }
    added = skipped = 0
    for raw in items[:MAX_ITEMS]:
        fields = _fields_from_json(raw)
        if fields is None:
            skipped += 1
            continue
        key = (
            fields.category,
            fields.vendor.lower(),
            fields.product.lower(),
            fields.version.lower(),
        )
        if key in have:
            continue
        # The product picked from suggestions travels in the file; it counts if this catalog
        # still has it, else the name is looked up as typed.
        picked = raw.get("family_key") if isinstance(raw, dict) else None
        known = family(picked) if isinstance(picked, str) else None
        known = known or resolve(fields.vendor, fields.product)
        try:
            add_item(organization, user, fields, known.key if known else None)
        except InventoryError:
            skipped += 1
            break
        have.add(key)
        added += 1
    return added, skipped


def _fields_from_json(raw: object) -> ProductFields | None:
    if not isinstance(raw, dict):
        return None
    texts = {k: raw.get(k, "") for k in ("category", "vendor", "product", "version")}
    if not all(isinstance(v, str) for v in texts.values()):
        return None
    if texts["category"] not in INVENTORY_CATEGORIES or not texts["product"].strip():
        return None
    if len(texts["vendor"]) > 120 or len(texts["product"]) > 160 or len(texts["version"]) > 60:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for v in texts.values() for c in v):
        return None  # as the form refuses them: a name with a line break could forge a mail line
    flags = (raw.get("internet_facing", False), raw.get("managed_by_msp", False))
    if not all(isinstance(f, bool) for f in flags):
        return None
    return ProductFields(
        texts["category"],
        texts["vendor"].strip(),
        texts["product"].strip(),
        texts["version"].strip(),
        flags[0],
        flags[1],
    )
