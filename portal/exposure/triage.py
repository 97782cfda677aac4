"""Settling a product's known-exploited matches: fixed, mitigated, not affected, end of life —
or open again. Each change is audited; none commits (the view commits once per request).

Two people settling the same match at once: each form carries the revision it was shown, and
the change is made only while the row is still at that revision (one UPDATE decides), so the
second person is told what changed instead of overwriting it. Each form also carries the
product's version it was shown: a decision made for another version than the list holds now
(someone marked a newer fix meanwhile) is refused the same way, so a stale form never rolls the
version back. A fix marked with another version than the one shown updates the product's
version on the list, so the list stays true (and the matches settled for the old version are
asked again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import db
from portal.kev.matching import TriageState
from portal.models import InventoryItem, KevEntryFamily, KevTriage, User, utcnow
from portal.models import KevEntry as KevEntryRow

MAX_NOTE = 1000
MAX_VERSION = 60
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # (tab and line breaks are kept in a note)


class TriageError(ValueError):
    """A change refused, with a sentence a person understands (and the field it is about)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TriageConflict(Exception):
    """Someone settled this match since the form was shown; ``current`` is how it is now.
    ``version_now``: set when the product's version changed since (the list's version now)."""

    def __init__(self, current: KevTriage | None, version_now: str | None = None) -> None:
        super().__init__("changed meanwhile")
        self.current = current
        self.version_now = version_now


@dataclass(frozen=True)
class Decision:
    state: TriageState
    note: str = ""
    running_version: str = ""


def entry_of(item: InventoryItem, cve_id: str) -> KevEntryRow | None:
    """The catalog entry ``cve_id`` if it is a match of ``item`` now (its family's entry)."""
    if item.family_key is None or len(cve_id) > 30:
        return None
    return db.session.scalar(
        sa.select(KevEntryRow)
        .join(KevEntryFamily, KevEntryFamily.cve_id == KevEntryRow.cve_id)
        .where(KevEntryFamily.family_key == item.family_key, KevEntryRow.cve_id == cve_id)
    )


def current(item: InventoryItem, cve_id: str) -> KevTriage | None:
    return db.session.scalar(
        sa.select(KevTriage).where(
            KevTriage.inventory_item_id == item.id, KevTriage.cve_id == cve_id
        )
    )


def checked(decision: Decision) -> Decision:
    """The decision with its texts tidied, or :class:`TriageError` saying what is wrong."""
    note = decision.note.replace("\r\n", "\n").strip()
    version = decision.running_version.strip()
    if _CONTROL.search(note):
        raise TriageError(_("The note has invisible control characters. Type it again."), "note")
    if len(note) > MAX_NOTE:
        limit = f"{MAX_NOTE:,}"
        raise TriageError(_("Keep the note under %(num)s characters.", num=limit), "note")
    if _CONTROL.search(version) or "\n" in version or "\t" in version:
        raise TriageError(
            _(
                "The version has invisible control characters or a line break. Type it as it "
                "shows on the product's About page."
            ),
            "running_version",
        )
    if len(version) > MAX_VERSION:
        raise TriageError(
            _(
                "A version is at most %(num)d characters (such as 7.0.17 or 2019 CU14).",
                num=MAX_VERSION,
            ),
            "running_version",
        )
    if decision.state is TriageState.FIXED and not version:
        raise TriageError(
            _("Write the version you run now, as its About or status page shows it."),
            "running_version",
        )
    if decision.state in (TriageState.MITIGATED, TriageState.NOT_AFFECTED) and not note:
        raise TriageError(
            _("Write what you did, or why it does not apply, so the next person knows."), "note"
        )
    # The version run is a fact of a fix; kept with another state it would read as one.
    return Decision(decision.state, note, version if decision.state is TriageState.FIXED else "")


def _same_version(item: InventoryItem, shown_version: str | None) -> None:
    """Refuse a decision made for another version of the product than the list holds now. The
    item's row is locked first (PostgreSQL; SQLite serialises writers), so two people saving
    with different versions at once cannot both pass."""
    version = db.session.scalar(
        sa.select(InventoryItem.version).where(InventoryItem.id == item.id).with_for_update()
    )
    if shown_version is not None and shown_version.strip() != version:
        raise TriageConflict(None, version_now=version or "")


def settle(
    item: InventoryItem,
    cve_id: str,
    decision: Decision,
    user: User,
    shown_revision: int,
    shown_version: str | None = None,
) -> KevTriage:
    """Settle (or open again) one match, if it is still at ``shown_revision`` (0: not settled
    yet) and the product still at ``shown_version`` (the version the form showed; None: not
    compared). Raises :class:`TriageError` for a match that no longer exists or bad input, and
    :class:`TriageConflict` when someone changed either meanwhile."""
    if entry_of(item, cve_id) is None:
        raise TriageError(
            _(
                "This flaw is no longer matched to this product (the product or the catalog "
                "changed). Nothing was saved."
            )
        )
    decision = checked(decision)
    _same_version(item, shown_version)
    if decision.state is TriageState.FIXED and decision.running_version != item.version:
        _update_version(item, decision.running_version, user)
    row = _write(item, cve_id, decision, user, shown_revision)
    audit.record_for(
        item,
        "kev.triaged",
        actor=user,
        cve=cve_id,
        state=decision.state.value,
        version=item.version[:60],
    )
    return row


def settle_older(
    item: InventoryItem,
    before: date,
    running_version: str,
    user: User,
    shown_version: str | None = None,
) -> list[str]:
    """Mark every open match of ``item`` added on or before ``before`` as fixed in
    ``running_version`` — "all these older entries are fixed in the version we run". Returns
    the CVE ids changed; refuses (:class:`TriageError`) when none is open, changing nothing."""
    decision = checked(Decision(TriageState.FIXED, "", running_version))
    _same_version(item, shown_version)
    entries = (
        db.session.scalars(
            sa.select(KevEntryRow.cve_id)
            .join(KevEntryFamily, KevEntryFamily.cve_id == KevEntryRow.cve_id)
            .where(KevEntryFamily.family_key == item.family_key, KevEntryRow.date_added <= before)
            .order_by(KevEntryRow.cve_id)
        ).all()
        if item.family_key is not None
        else []
    )
    existing = {
        row.cve_id: row
        for row in db.session.scalars(
            sa.select(KevTriage).where(KevTriage.inventory_item_id == item.id)
        )
    }
    still_open = [
        cve_id
        for cve_id in entries
        if (row := existing.get(cve_id)) is None
        or row.state == TriageState.OPEN
        or row.item_version != item.version
    ]
    if not still_open:
        raise TriageError(_("No open flaw of this product was added on or before that date."))
    if decision.running_version != item.version:
        _update_version(item, decision.running_version, user)
    changed = []
    for cve_id in still_open:
        row = existing.get(cve_id)
        _write(item, cve_id, decision, user, row.revision if row else 0)
        changed.append(cve_id)
    audit.record_for(
        item,
        "kev.triaged_bulk",
        actor=user,
        state=TriageState.FIXED.value,
        count=len(changed),
        before=before.isoformat(),
        version=item.version[:60],
    )
    return changed


def _write(
    item: InventoryItem, cve_id: str, decision: Decision, user: User, shown_revision: int
) -> KevTriage:
    values = {
        "state": decision.state.value,
        "note": decision.note,
        "running_version": decision.running_version,
        "item_version": item.version,
        "decided_by_id": user.id,
        "decided_at": utcnow(),
    }
    if shown_revision < 0:  # a revision the form could not have shown: a stale form
        raise TriageConflict(current(item, cve_id))
    if shown_revision == 0:
        row = KevTriage(inventory_item_id=item.id, cve_id=cve_id, revision=1, **values)
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # settled by someone else a moment ago
            raise TriageConflict(current(item, cve_id)) from None
        return row
    updated = db.session.execute(
        sa.update(KevTriage)
        .where(
            KevTriage.inventory_item_id == item.id,
            KevTriage.cve_id == cve_id,
            KevTriage.revision == shown_revision,
        )
        .values(revision=KevTriage.revision + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        raise TriageConflict(current(item, cve_id))
    found = current(item, cve_id)
    assert found is not None
    db.session.refresh(found)
    return found


def _update_version(item: InventoryItem, version: str, user: User) -> None:
    before = item.version
    item.version = version
    item.updated_by_id = user.id
    db.session.flush()
    audit.record_for(
        item, "inventory.changed", actor=user, product=item.product[:80], version=before[:60]
    )
