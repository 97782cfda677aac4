"""What an organization runs, meeting the KEV catalog: matches, their order, and what to do.

Honest limits, said wherever matches are shown (:data:`CAVEATS`): KEV names products, not version
ranges, so a match means "check your version against the vendor's advisory", not "you are
vulnerable"; and a product with no match is not thereby safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.kev.catalog import KevEntry

CAVEATS = (
    "KEV lists products, not version ranges: a match means check your version against the "
    "vendor's advisory. You may already have the fix.",
    "A product with no match is not proven safe: KEV lists only flaws known to be used in attacks.",
)

SHOWN_PER_PRODUCT = 5  # entries listed under each product on pages; the rest are counted


@dataclass(frozen=True)
class ProductInUse:
    """One line of an organization's "what we run"."""

    id: int
    category: str
    vendor: str
    product: str
    version: str
    internet_facing: bool
    managed_by_msp: bool
    family_key: str | None  # None: matches no catalog product (kept, with the caveat)
    family_label: str | None = None

    @property
    def name(self) -> str:
        return self.family_label or f"{self.vendor} {self.product}".strip()


@dataclass(frozen=True)
class ProductMatch:
    product: ProductInUse
    entries: tuple[KevEntry, ...]  # most urgent first (:func:`rank_entries`)

    @property
    def ransomware(self) -> bool:
        return any(e.known_ransomware for e in self.entries)

    @property
    def critical(self) -> bool:
        """Internet-facing, or used by ransomware gangs: a first-30-days fix."""
        return self.product.internet_facing or self.ransomware

    @property
    def newest(self) -> date:
        return max(e.date_added for e in self.entries)


def rank_entries(entries: list[KevEntry] | tuple[KevEntry, ...]) -> tuple[KevEntry, ...]:
    """Known ransomware use first, then the most recently added (attackers' current favourites),
    then the CVE id so the order never wobbles."""
    return tuple(
        sorted(entries, key=lambda e: (not e.known_ransomware, -e.date_added.toordinal(), e.cve_id))
    )


def rank_matches(matches: list[ProductMatch]) -> tuple[ProductMatch, ...]:
    """Ransomware-linked first, then internet-facing, then by the newest entry added."""
    return tuple(
        sorted(
            matches,
            key=lambda m: (
                not m.ransomware,
                not m.product.internet_facing,
                -m.newest.toordinal(),
                m.product.name.lower(),
                m.product.id,
            ),
        )
    )
