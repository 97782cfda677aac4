"""Organizations (the operators) and jurisdictions (what a coordinator covers)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from portal.models.base import Base, str_enum, utcnow
from portal.questionnaire import sectors

if TYPE_CHECKING:
    from portal.models.accounts import User


# Sectors are plain ids ("hospital", …), defined once in portal.questionnaire.sectors.
# In the reader's language when shown (the domain's labels are English: N_ in sectors.py).
SECTOR_LABELS = {key: _l(label) for key, label in sectors.SECTOR_LABELS.items()}


class Ownership(enum.StrEnum):
    """Who owns the operator; decides eligibility for many free services (e.g. SLTT-only)."""

    PUBLIC = "public"
    PRIVATE = "private"
    NONPROFIT = "nonprofit"
    COOPERATIVE = "cooperative"
    TRIBAL = "tribal"


OWNERSHIP_LABELS = {
    Ownership.PUBLIC: _l("Public (state, county, city or district)"),
    Ownership.PRIVATE: _l("Private, for-profit"),
    Ownership.NONPROFIT: _l("Private, non-profit"),
    Ownership.COOPERATIVE: _l("Member-owned cooperative"),
    Ownership.TRIBAL: _l("Tribal"),
}


class SizeBand(enum.StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


SIZE_LABELS = {
    SizeBand.MICRO: _l("Fewer than 25 staff"),
    SizeBand.SMALL: _l("25 to 99 staff"),
    SizeBand.MEDIUM: _l("100 to 499 staff"),
    SizeBand.LARGE: _l("500 staff or more"),
}


class Organization(Base):
    __tablename__ = "organizations"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    # Case-folded name for the duplicate check within a state.
    name_key: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(2), index=True)
    county: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    # The county's FIPS code ("39069") where its name was found in the state's counties
    # (portal/counties.py); None: "not on the map" (a name typed before counties were checked).
    county_fips: orm.Mapped[str | None] = orm.mapped_column(sa.String(5), default=None)
    ownership: orm.Mapped[Ownership] = orm.mapped_column(str_enum(Ownership, "ownership"))
    size_band: orm.Mapped[SizeBand] = orm.mapped_column(str_enum(SizeBand, "size_band"))
    # Its operators chose to require a second factor of every one of them.
    require_second_factor: orm.Mapped[bool] = orm.mapped_column(default=False)
    # The language its reports come out in unless the reader picks another at download, and
    # its members' mail when they chose none (portal/i18n.py).
    language: orm.Mapped[str] = orm.mapped_column(sa.String(8), default="en", server_default="en")
    is_active: orm.Mapped[bool] = orm.mapped_column(default=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)

    sector_links: orm.Mapped[list[OrganizationSector]] = orm.relationship(
        back_populates="organization", cascade="all, delete-orphan", lazy="selectin"
    )
    members: orm.Mapped[list[User]] = orm.relationship(back_populates="organization")

    __table_args__ = (
        sa.UniqueConstraint("state", "name_key"),
        sa.Index("ix_organizations_state_county", "state", "county"),
        sa.Index("ix_organizations_county_fips", "county_fips"),
    )

    @property
    def sectors(self) -> list[str]:
        """Sector ids, in the order portal.questionnaire.sectors lists them."""
        return sorted((link.sector for link in self.sector_links), key=sectors.SECTOR_IDS.index)

    @sectors.setter
    def sectors(self, values: list[str]) -> None:
        unknown = [v for v in values if v not in sectors.SECTOR_IDS]
        if unknown:
            raise ValueError(f"not a sector: {unknown[0]!r}")
        self.sector_links = [OrganizationSector(sector=s) for s in dict.fromkeys(values)]

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r} {self.state}>"


class OrganizationSector(Base):
    """One row per sector an organization operates in (a hospital may also run its own water)."""

    __tablename__ = "organization_sectors"

    organization_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    # A named CHECK constraint limits the column to the defined sectors (a new sector needs a
    # migration that widens it).
    sector: orm.Mapped[str] = orm.mapped_column(
        sa.Enum(
            *sectors.SECTOR_IDS,
            name="sector",
            native_enum=False,
            create_constraint=True,
            length=20,
            validate_strings=True,
        ),
        primary_key=True,
    )

    organization: orm.Mapped[Organization] = orm.relationship(back_populates="sector_links")

    __table_args__ = (sa.Index("ix_organization_sectors_sector", "sector", "organization_id"),)


class Jurisdiction(Base):
    """A state, or a set of counties within one state, that a coordinator looks after."""

    __tablename__ = "jurisdictions"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200), unique=True)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(2), index=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)

    county_links: orm.Mapped[list[JurisdictionCounty]] = orm.relationship(
        back_populates="jurisdiction", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def counties(self) -> list[str]:
        """Counties covered; empty means the whole state."""
        return sorted(link.county for link in self.county_links)

    @counties.setter
    def counties(self, values: list[str]) -> None:
        wanted = sorted({normalise_county(v) for v in values if v.strip()})
        self.county_links = [JurisdictionCounty(county=c) for c in wanted]

    @property
    def is_statewide(self) -> bool:
        return not self.county_links

    def covers(self, organization: Organization) -> bool:
        if organization.state != self.state:
            return False
        return self.is_statewide or organization.county in self.counties

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.id} {self.name!r}>"


class JurisdictionCounty(Base):
    __tablename__ = "jurisdiction_counties"

    jurisdiction_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True
    )
    county: orm.Mapped[str] = orm.mapped_column(sa.String(100), primary_key=True)

    jurisdiction: orm.Mapped[Jurisdiction] = orm.relationship(back_populates="county_links")


def normalise_county(name: str) -> str:
    """One spelling per county so that jurisdiction matching is exact: 'lake  county' → 'Lake'."""
    words = " ".join(name.split())
    for suffix in (" county", " parish", " borough"):
        if words.lower().endswith(suffix):
            words = words[: -len(suffix)]
    return words.strip().title()


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()
