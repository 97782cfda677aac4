"""CISA's Known Exploited Vulnerabilities catalog, and what each organization runs.

``kev_entries`` holds the catalog as last imported; ``kev_entry_families`` says which product
families (portal/kev/products.py) each entry belongs to; an ``inventory_items`` row points at one
family. An organization's matches are one equality join on the family key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, utcnow

INVENTORY_CATEGORIES = (
    "edge",
    "remote_support",
    "email",
    "file_transfer",
    "backup",
    "servers",
    "control_systems",
    "other",
)


class KevImport(Base):
    """One import of the catalog: its version, and what it changed."""

    __tablename__ = "kev_imports"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    catalog_version: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    released_at: orm.Mapped[datetime]
    imported_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    source: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    entry_count: orm.Mapped[int]
    added: orm.Mapped[int] = orm.mapped_column(default=0)
    changed: orm.Mapped[int] = orm.mapped_column(default=0)
    removed: orm.Mapped[int] = orm.mapped_column(default=0)
    organizations_notified: orm.Mapped[int] = orm.mapped_column(default=0)
    # Notices of new matches are written after the import, a chunk of organizations per
    # transaction, in organization-id order: how far they got (resumable), and when they were done
    # (None: still to do — `flask kev import` or `flask kev notify` finishes them).
    notices_through_organization_id: orm.Mapped[int] = orm.mapped_column(default=0)
    notices_done_at: orm.Mapped[datetime | None]


class KevEntry(Base):
    __tablename__ = "kev_entries"

    cve_id: orm.Mapped[str] = orm.mapped_column(sa.String(30), primary_key=True)
    vendor_project: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    product: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    vulnerability_name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    date_added: orm.Mapped[date] = orm.mapped_column(index=True)
    short_description: orm.Mapped[str] = orm.mapped_column(sa.Text)
    required_action: orm.Mapped[str] = orm.mapped_column(sa.Text)
    due_date: orm.Mapped[date]
    known_ransomware: orm.Mapped[bool] = orm.mapped_column(default=False)
    notes: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    cwes: orm.Mapped[list[str]] = orm.mapped_column(sa.JSON, default=list)
    # The import that first brought the entry (its "added since" for coordinators), and the one
    # that last changed it.
    first_import_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("kev_imports.id"), index=True
    )
    changed_import_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("kev_imports.id"))


class KevEntryFamily(Base):
    __tablename__ = "kev_entry_families"

    family_key: orm.Mapped[str] = orm.mapped_column(sa.String(200), primary_key=True)
    cve_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey("kev_entries.cve_id", ondelete="CASCADE"), primary_key=True, index=True
    )


class KevFamilyName(Base):
    """Every name a product family answers to, case and punctuation folded: how a product typed
    in an inventory finds its family — in SQL, for every organization at once."""

    __tablename__ = "kev_family_names"

    name: orm.Mapped[str] = orm.mapped_column(sa.String(300), primary_key=True)
    family_key: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    label: orm.Mapped[str] = orm.mapped_column(sa.String(400))


class InventoryItem(Base):
    """One product an organization runs, kept across assessments."""

    __tablename__ = "inventory_items"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    organization_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    category: orm.Mapped[str] = orm.mapped_column(
        sa.Enum(
            *INVENTORY_CATEGORIES,
            name="inventory_category",
            native_enum=False,
            create_constraint=True,
            length=20,
        )
    )
    vendor: orm.Mapped[str] = orm.mapped_column(sa.String(120), default="")
    product: orm.Mapped[str] = orm.mapped_column(sa.String(160))
    version: orm.Mapped[str] = orm.mapped_column(sa.String(60), default="")
    internet_facing: orm.Mapped[bool] = orm.mapped_column(default=False)
    managed_by_msp: orm.Mapped[bool] = orm.mapped_column(default=False)
    # The product family it matches (None: nothing in the catalog; kept, with the caveat), and the
    # catalog import that resolved it — a later import may resolve what an earlier one could not.
    family_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
    # "vendor product" folded as kev_family_names.name is (ProductCatalog.resolve looks up the
    # same name): an unmatched item is looked up again after every import.
    match_name: orm.Mapped[str] = orm.mapped_column(sa.String(300), default="")
    # A person chose the family from the suggestions: imports do not match it again by name.
    family_picked: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    resolved_import_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("kev_imports.id", ondelete="SET NULL")
    )
    # Since when it has been matched to its family: with the entry's first import, when the
    # portal first matched each entry (the start of the catalog's days for it).
    family_since: orm.Mapped[datetime | None]
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.Index("ix_inventory_items_organization_id", "organization_id"),
        sa.Index("ix_inventory_items_family_key_organization_id", "family_key", "organization_id"),
        sa.Index("ix_inventory_items_match_name", "match_name"),
        # The re-match after an import updates items by the name typed.
        sa.Index("ix_inventory_items_vendor_product", "vendor", "product"),
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "vendor": self.vendor,
            "product": self.product,
            "version": self.version,
            "internet_facing": self.internet_facing,
            "managed_by_msp": self.managed_by_msp,
            "family_key": self.family_key,
        }


TRIAGE_STATES = ("open", "fixed", "mitigated", "not_affected", "end_of_life")


class KevTriage(Base):
    """How an organization settled one match of one of its products with one catalog entry:
    fixed, mitigated, not affected, end of life (or opened again). One row per (item, entry);
    ``revision`` grows with each change, so two people settling it at once cannot both win."""

    __tablename__ = "kev_triage"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    inventory_item_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("inventory_items.id", ondelete="CASCADE")
    )
    cve_id: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    state: orm.Mapped[str] = orm.mapped_column(
        sa.Enum(
            *TRIAGE_STATES,
            name="kev_triage_state",
            native_enum=False,
            create_constraint=True,
            length=20,
        )
    )
    note: orm.Mapped[str] = orm.mapped_column(sa.String(1000), default="")
    running_version: orm.Mapped[str] = orm.mapped_column(sa.String(60), default="")
    # The product's version on the list when this was settled: a later change asks again.
    item_version: orm.Mapped[str] = orm.mapped_column(sa.String(60), default="")
    decided_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    revision: orm.Mapped[int] = orm.mapped_column(default=1)

    __table_args__ = (
        sa.UniqueConstraint("inventory_item_id", "cve_id"),
        sa.Index("ix_kev_triage_cve_id", "cve_id"),
    )
