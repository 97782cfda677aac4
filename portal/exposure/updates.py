"""A new catalog, end to end: import it, re-match every inventory, tell who has new matches."""

from __future__ import annotations

from portal.exposure import catalog, jurisdiction
from portal.extensions import db
from portal.models import KevImport


def import_and_notify(raw: bytes, source: str) -> catalog.ImportReport:
    """Import ``raw`` (refused whole by CatalogRefused) and notify the operators of organizations
    with new matches — unless this is the first import, which has nothing to be new against.
    Within the caller's transaction; the caller commits."""
    report = catalog.import_catalog(raw, source)
    if report.import_id is None:
        return report
    record = db.session.get(KevImport, report.import_id)
    assert record is not None
    if catalog.previous_import(record) is not None:
        report.organizations_notified = jurisdiction.notify_new_matches(record.id)
        record.organizations_notified = report.organizations_notified
    return report
