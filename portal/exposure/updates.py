"""A new catalog, end to end: import it, re-match every inventory, tell who has new matches.

The import is one transaction. The notices follow it, a chunk of organizations per transaction
in organization-id order, with the import row keeping how far they got — so a national import
never holds one transaction open for tens of thousands of messages, a crash mid-way loses no
notice and sends none twice, and `flask kev notify` finishes what was left.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from portal.exposure import catalog, jurisdiction
from portal.extensions import db
from portal.models import KevImport, utcnow

NOTICE_CHUNK = 2_000  # organizations per transaction of notices


def import_and_notify(
    raw: bytes, source: str, commit: Callable[[], None], *, force: bool = False
) -> catalog.ImportReport:
    """Import ``raw`` (refused whole by CatalogRefused, nothing written), ``commit``, then write
    the notices of new matches, calling ``commit`` after each chunk. The first import has
    nothing to be new against and notifies nobody."""
    report = catalog.import_catalog(raw, source, force=force)
    if report.import_id is None:
        return report
    record = db.session.get(KevImport, report.import_id)
    assert record is not None
    if catalog.previous_import(record) is None:
        record.notices_done_at = utcnow()
    commit()
    report.organizations_notified = finish_notices(report.import_id, commit)
    return report


def finish_notices(import_id: int, commit: Callable[[], None], chunk: int | None = None) -> int:
    """Write the notices an import still owes, ``chunk`` organizations at a time (default
    NOTICE_CHUNK); returns how many organizations this call told. The import row is locked for
    each chunk, so two runs never both write one."""
    chunk = chunk or NOTICE_CHUNK
    told = 0
    while True:
        record = db.session.get(KevImport, import_id, with_for_update=True, populate_existing=True)
        assert record is not None
        if record.notices_done_at is not None:
            commit()  # releases the lock
            return told
        count, last = jurisdiction.notify_new_matches(
            import_id, record.notices_through_organization_id, chunk
        )
        if count == 0 and last == 0:
            record.notices_done_at = utcnow()
        else:
            record.notices_through_organization_id = last
            record.organizations_notified += count
            told += count
        commit()


def pending() -> list[int]:
    """Imports whose notices are not all written (a run that stopped part-way)."""
    return list(
        db.session.scalars(
            sa.select(KevImport.id)
            .where(KevImport.notices_done_at.is_(None))
            .order_by(KevImport.id)
        )
    )
