"""The KEV catalog in the database: fetched safely, imported in one transaction, re-matched.

``import_catalog`` upserts every entry, rebuilds the product families and their names, looks
again (in SQL, for every organization at once) for inventory items the previous catalog could not
match, and tells the operators of organizations with new matches. A document the domain refuses
(portal/kev/catalog.py) changes nothing.
"""

from __future__ import annotations

import functools
import http.client
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.kev import products
from portal.kev.catalog import MAX_BYTES, CatalogRefused, KevCatalog, KevEntry, parse_catalog
from portal.models import (
    InventoryItem,
    KevEntryFamily,
    KevFamilyName,
    KevImport,
    utcnow,
)
from portal.models import KevEntry as KevEntryRow

FETCH_TIMEOUT = 20.0  # seconds for the whole download
STALE_AFTER_DAYS = 7  # CISA adds entries most weekdays; a week-old copy is out of date


@dataclass
class ImportReport:
    version: str
    released_at: datetime
    entries: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    resolved_items: int = 0
    organizations_notified: int = 0
    import_id: int | None = None  # None: nothing changed, no import recorded

    @property
    def unchanged(self) -> bool:
        return self.import_id is None


# --- fetching -----------------------------------------------------------------------------------


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not newurl.lower().startswith("https://"):
            fp.close()
            raise CatalogRefused([f"The address redirected to {newurl[:100]}, which is not https."])
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, context: Any = None) -> bytes:
    """The document at an https ``url``: at most MAX_BYTES, within ``timeout`` seconds, and never
    through a redirect to plain http. ``context``: an ssl.SSLContext (tests trust their own CA)."""
    if not url.lower().startswith("https://"):
        raise CatalogRefused(["Only https addresses are fetched (CISA's feed is https)."])
    opener = urllib.request.build_opener(
        _HttpsOnlyRedirects(), urllib.request.HTTPSHandler(context=context)
    )
    # https only (checked above): no file: or other schemes reach the opener.
    request = urllib.request.Request(url, headers={"User-Agent": "readiness-portal kev import"})  # noqa: S310
    # urllib's timeout bounds each socket operation; the deadline bounds the whole download
    # (a server sending a byte every few seconds would otherwise hold the import for hours).
    deadline = time.monotonic() + timeout
    late = CatalogRefused([f"The address did not answer within {timeout:g} seconds."])
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise CatalogRefused([_too_large(int(declared))])
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_BYTES:
                if time.monotonic() > deadline:
                    raise late
                # read1: what one socket read brings (at most ``timeout`` of waiting), so the
                # deadline is looked at again that often; read() would wait for all 64 KB of a
                # byte-a-second trickle.
                chunk = response.read1(min(65_536, MAX_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
            if declared and declared.isdigit() and len(data) < int(declared):
                raise CatalogRefused(
                    [
                        f"The download was cut short: {len(data):,} of {int(declared):,} bytes "
                        "arrived."
                    ]
                )
    except CatalogRefused:
        raise
    except TimeoutError:
        raise late from None
    except (http.client.HTTPException, ValueError) as error:  # cut short, a malformed address
        raise CatalogRefused(
            [f"The download failed: {type(error).__name__} {str(error)[:150]}."]
        ) from None
    except urllib.error.HTTPError as error:
        error.close()
        raise CatalogRefused([f"The address answered {error.code} {error.reason}."]) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError | socket.timeout):
            raise CatalogRefused(
                [f"The address did not answer within {timeout:g} seconds."]
            ) from None
        raise CatalogRefused([f"The address could not be reached: {str(reason)[:200]}."]) from None
    if len(data) > MAX_BYTES:
        raise CatalogRefused([_too_large(len(data))])
    return data


def _too_large(size: int) -> str:
    limit = MAX_BYTES // 2**20
    return f"The file is over {limit} MB ({size / 1e6:.1f} MB); a KEV catalog is far smaller."


# --- importing ----------------------------------------------------------------------------------

_FIELDS = (
    "vendor_project",
    "product",
    "vulnerability_name",
    "date_added",
    "short_description",
    "required_action",
    "due_date",
    "known_ransomware",
    "notes",
)


MAX_REMOVED_SHARE = 0.1  # CISA removes an entry now and then, never a tenth of the catalog


def import_catalog(raw: bytes, source: str, *, force: bool = False) -> ImportReport:
    """Import the catalog in ``raw`` within the caller's transaction (the caller commits).

    Raises :class:`CatalogRefused` (nothing written) for a document that is not a catalog — or,
    unless ``force``, for one released before the catalog in use, or one that would remove
    more than a tenth of it: an old snapshot imported after the live feed would delete newer
    entries, and the next import would announce them again as new.
    """
    catalog = parse_catalog(raw)
    latest = latest_import()
    if latest is not None and not force and catalog.released_at < latest.released_at:
        raise CatalogRefused(
            [
                f"This catalog ({catalog.version}, released {catalog.released_at:%Y-%m-%d}) is "
                f"older than the one in use ({latest.catalog_version}, released "
                f"{latest.released_at:%Y-%m-%d}). Use --force to go back to it on purpose."
            ]
        )
    existing = {row.cve_id: row for row in db.session.scalars(sa.select(KevEntryRow))}
    incoming = {entry.cve_id: entry for entry in catalog.entries}
    report = ImportReport(catalog.version, catalog.released_at, len(catalog.entries))
    report.added = sorted(set(incoming) - set(existing))
    report.removed = sorted(set(existing) - set(incoming))
    report.changed = sorted(
        cve for cve in set(incoming) & set(existing) if _differs(existing[cve], incoming[cve])
    )
    if existing and not force and len(report.removed) > MAX_REMOVED_SHARE * len(existing):
        raise CatalogRefused(
            [
                f"This catalog would remove {len(report.removed):,} of the {len(existing):,} "
                "entries in use; CISA removes only a few. Use --force if that is right."
            ]
        )
    if (
        latest is not None
        and latest.catalog_version == catalog.version
        and not (report.added or report.removed or report.changed)
    ):
        # The same catalog again: nothing to record — but the product families are rebuilt, so
        # a changed data/kev/products.yaml reaches the database and every inventory.
        known = _store_families(catalog)
        report.resolved_items = rematch_unresolved(latest.id, known)
        _catalog_for.cache_clear()
        db.session.info.pop(_CATALOG_KEY, None)
        return report
    record = KevImport(
        catalog_version=catalog.version,
        released_at=catalog.released_at,
        source=source[:500],
        entry_count=len(catalog.entries),
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
    )
    db.session.add(record)
    db.session.flush()
    report.import_id = record.id
    if report.removed:
        db.session.execute(sa.delete(KevEntryRow).where(KevEntryRow.cve_id.in_(report.removed)))
    for cve in report.changed:
        row = existing[cve]
        for name, value in _values(incoming[cve]).items():
            setattr(row, name, value)
        row.changed_import_id = record.id
    db.session.add_all(
        KevEntryRow(
            cve_id=cve,
            first_import_id=record.id,
            changed_import_id=record.id,
            **_values(incoming[cve]),
        )
        for cve in report.added
    )
    db.session.flush()
    known = _store_families(catalog)
    report.resolved_items = rematch_unresolved(record.id, known)
    _catalog_for.cache_clear()
    db.session.info.pop(_CATALOG_KEY, None)
    audit.record(
        "kev.imported",
        object_type="KevImport",
        object_id=record.id,
        version=catalog.version,
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
    )
    return report


def _values(entry: KevEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in _FIELDS}
    values["cwes"] = list(entry.cwes)
    return values


def _differs(row: KevEntryRow, entry: KevEntry) -> bool:
    return any(getattr(row, name) != getattr(entry, name) for name in _FIELDS) or list(
        row.cwes or []
    ) != list(entry.cwes)


def _store_families(catalog: KevCatalog) -> products.ProductCatalog:
    """Which families each entry belongs to, and every name of every family (rebuilt whole: about
    2,000 and 1,300 rows). Returns the catalog's families."""
    known = products.ProductCatalog(products.load_curated(), catalog.entries)
    db.session.execute(sa.delete(KevEntryFamily))
    db.session.execute(sa.delete(KevFamilyName))
    db.session.execute(
        sa.insert(KevEntryFamily),
        [
            {"family_key": key, "cve_id": cve}
            for cve, keys in known.entry_families.items()
            for key in keys
        ],
    )
    db.session.execute(
        sa.insert(KevFamilyName),
        [
            {"name": name[:300], "family_key": key, "label": known.families[key].label[:400]}
            for name, key in known.names.items()
            if name
        ],
    )
    _refresh_planner_statistics()
    return known


def _refresh_planner_statistics() -> None:
    """PostgreSQL plans the matching joins from its table statistics. Right after the catalog
    tables are rebuilt those describe the old — on a first import, empty — tables, and a join
    planned for an empty table scans the 2,000-row one for every product: seconds a query until
    autovacuum catches up (measured: one inventory's page took 2–14 s). A few milliseconds."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("ANALYZE kev_imports, kev_entries, kev_entry_families, kev_family_names")
        )


def rematch_unresolved(import_id: int, known: products.ProductCatalog) -> int:
    """After an import, look every product a person did not match by hand up again by name, as
    a new one is (:meth:`ProductCatalog.resolve`: the most specific name first, so "SMA 1000"
    is not the SMA 100): an item that matched nothing may match now, and an item whose name now
    names another family (a family split: "Cisco IOS" from IOS XE to classic IOS) moves to it.
    Items whose family a person picked from the suggestions keep it unless the catalog dropped
    that family ("keep it as I typed it" is matched once a catalog lists that very name). One
    read of the distinct typed names, then one UPDATE per name whose family changes, not one
    per item. Returns how many items changed.
    """
    # An item whose family the new catalog no longer has is looked up again like a new one
    # (a person's pick of a family that is gone is no longer a pick).
    families = sa.select(KevFamilyName.family_key).where(
        KevFamilyName.family_key == InventoryItem.family_key
    )
    db.session.execute(
        sa.update(InventoryItem)
        .where(InventoryItem.family_key.is_not(None), ~sa.exists(families))
        .values(family_key=None, family_picked=False)
        .execution_options(synchronize_session=False)
    )
    typed = db.session.execute(
        sa.select(InventoryItem.vendor, InventoryItem.product, InventoryItem.family_key)
        .where(InventoryItem.family_picked.is_(False))
        .distinct()
    ).all()
    changed = 0
    for vendor, product, family_key in typed:
        family = known.resolve(vendor, product)
        if family is None or family.key == family_key:
            continue
        result = db.session.execute(
            sa.update(InventoryItem)
            .where(
                InventoryItem.vendor == vendor,
                InventoryItem.product == product,
                InventoryItem.family_picked.is_(False),
                InventoryItem.family_key.is_distinct_from(family.key),
            )
            .values(
                family_key=family.key,
                match_name=known.lookup_name(vendor, product),
                resolved_import_id=import_id,
                family_since=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def latest_import() -> KevImport | None:
    return db.session.scalar(sa.select(KevImport).order_by(KevImport.id.desc()).limit(1))


def previous_import(before: KevImport) -> KevImport | None:
    return db.session.scalar(
        sa.select(KevImport).where(KevImport.id < before.id).order_by(KevImport.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class CatalogStatus:
    version: str
    released_at: datetime
    imported_at: datetime
    entries: int

    def age_days(self, now: datetime) -> int:
        return (now - self.released_at).days

    def stale(self, now: datetime) -> bool:
        return self.age_days(now) > STALE_AFTER_DAYS


def status() -> CatalogStatus | None:
    """The catalog in use, in one query (the admin page counts its queries)."""
    entries = sa.select(sa.func.count()).select_from(KevEntryRow).scalar_subquery()
    row = db.session.execute(
        sa.select(KevImport.catalog_version, KevImport.released_at, KevImport.imported_at, entries)
        .order_by(KevImport.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return CatalogStatus(row[0], row[1], row[2], int(row[3] or 0))


@functools.lru_cache(maxsize=2)
def _catalog_for(import_key: tuple[int, str] | None) -> products.ProductCatalog:
    rows = db.session.scalars(sa.select(KevEntryRow)).all()
    entries = [
        KevEntry(
            r.cve_id,
            r.vendor_project,
            r.product,
            r.vulnerability_name,
            r.date_added,
            r.short_description,
            r.required_action,
            r.due_date,
            r.known_ransomware,
            r.notes,
            tuple(r.cwes or ()),
        )
        for r in rows
    ]
    return products.ProductCatalog(products.load_curated(), entries)


_CATALOG_KEY = "portal_kev_catalog_key"
_UNKNOWN = object()


def product_catalog() -> products.ProductCatalog:
    """The families of the catalog as last imported: built once per import, per process (the key
    is the import's id and time, so a process notices another's import), and the key looked up
    once per transaction — a page naming 300 products asks the database once, not 300 times."""
    key = db.session.info.get(_CATALOG_KEY, _UNKNOWN)
    if key is _UNKNOWN:
        latest = db.session.execute(
            sa.select(KevImport.id, KevImport.imported_at).order_by(KevImport.id.desc()).limit(1)
        ).first()
        key = (latest[0], latest[1].isoformat()) if latest else None
        db.session.info[_CATALOG_KEY] = key
    return _catalog_for(key)


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_catalog_key(session: sa.orm.Session) -> None:
    session.info.pop(_CATALOG_KEY, None)
