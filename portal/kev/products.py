"""Product families: how "what we run" meets the KEV catalog's vendor and product names.

A *family* is one product line as people name it ("Fortinet FortiOS (FortiGate firewall and
SSL-VPN)"). The curated families in data/kev/products.yaml gather the catalog's inconsistent names
for the products small operators run, with the names people type ("FortiGate", "ScreenConnect");
every other vendor and product of the catalog is a family of its own. An inventory item points to
one family; a catalog entry belongs to every family whose patterns it matches. Matching is then an
equality of family keys — one join in SQL, however many organizations there are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from rapidfuzz import fuzz, process, utils

from portal.kev.catalog import DATA_DIR, KevEntry

FAMILIES_FILE = DATA_DIR / "products.yaml"

CATEGORIES = {
    "edge": "Internet-facing edge: VPN, firewall, remote-access gateway",
    "remote_support": "Remote-support and RMM tools",
    "email": "Email",
    "file_transfer": "File transfer",
    "backup": "Backup and storage",
    "servers": "Servers, operating systems and office software",
    "control_systems": "Control systems, medical devices and cameras",
    "other": "Other software or devices",
}

SUGGESTION_CUTOFF = 80  # rapidfuzz WRatio, 0-100: below this a name is not offered (tuned by hand:
# "screenconect" scores 96 on ScreenConnect, "Cerner" 77 on vCenter)


def normalise(text: str) -> str:
    """Case, spacing and punctuation folded, for comparing names people type."""
    return " ".join(utils.default_process(text).split())


@dataclass(frozen=True)
class Family:
    key: str
    vendor: str
    product: str
    category: str
    kev_vendors: frozenset[str]  # normalised
    kev_products: tuple[str, ...]  # normalised substrings; empty: the exact catalog product
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if normalise(self.product).startswith(normalise(self.vendor)):
            return self.product  # "Exim Exim mail server" reads "Exim mail server"
        return f"{self.vendor} {self.product}"

    def admits(self, entry: KevEntry) -> bool:
        if normalise(entry.vendor_project) not in self.kev_vendors:
            return False
        product = normalise(entry.product)
        if not self.kev_products:
            return product == normalise(self.product)
        return any(pattern in product for pattern in self.kev_products)


NAME_LENGTH = 300  # kev_family_names.name, inventory_items.match_name
KEY_LENGTH = 200  # family keys in the database


def match_name(vendor: str, product: str) -> str:
    """How a typed product is looked up: "vendor product", folded."""
    return normalise(f"{vendor} {product}")[:NAME_LENGTH]


def generic_key(vendor: str, product: str) -> str:
    """The key of a catalog product that no curated family covers (a long one ends in a hash
    of the whole, so two long names never share a key)."""
    key = f"kev:{normalise(vendor)}|{normalise(product)}"
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: KEY_LENGTH - 17]}#{digest}"


class ProductCatalog:
    """Every family for a KEV catalog, the families of each entry, and name suggestions."""

    def __init__(self, curated: Iterable[Family], entries: Iterable[KevEntry]) -> None:
        self.families: dict[str, Family] = {f.key: f for f in curated}
        curated_families = list(self.families.values())
        curated_keys = set(self.families)
        self.entry_families: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            keys = [f.key for f in curated_families if f.admits(entry)]
            if not keys:
                key = generic_key(entry.vendor_project, entry.product)
                if key not in self.families:
                    self.families[key] = Family(
                        key,
                        entry.vendor_project,
                        entry.product,
                        "other",
                        frozenset({normalise(entry.vendor_project)}),
                        (),
                    )
                keys = [key]
            self.entry_families[entry.cve_id] = tuple(keys)
        # Every name a family answers to. Typed with a vendor: "vendor product" for each of its
        # vendors and each of its product names. Typed without one: its label, and for curated
        # families their product and aliases ("FortiGate") — a catalog product's own name is
        # often generic ("Routers", "Client", "Multiple Products") and would catch any vendor's.
        self.names: dict[str, str] = {}
        for family in self.families.values():
            is_curated = family.key in curated_keys
            products = (family.product, *family.aliases)
            bare = (family.label, *products) if is_curated else (family.label,)
            for name in bare:
                self.names.setdefault(normalise(name)[:NAME_LENGTH], family.key)
            for vendor in sorted({normalise(family.vendor), *family.kev_vendors}):
                for product in products:
                    qualified = normalise(f"{vendor} {product}")[:NAME_LENGTH]
                    self.names.setdefault(qualified, family.key)
        self._choices = list(self.names)

    def resolve(self, vendor: str, product: str) -> Family | None:
        """The family these words name exactly (case, spacing and punctuation aside): "vendor
        product" as typed — the one name the database's re-match looks up too (match_name).
        A product's name never stands for another vendor's product ("Cisco" "Routers" is not
        D-Link's Routers); what is not found gets suggestions instead."""
        key = self.names.get(match_name(vendor, product))
        return self.families[key] if key is not None else None

    def suggest(self, text: str, limit: int = 5) -> list[Family]:
        """Families whose names are close to ``text``, best first (fuzzy, typo-tolerant)."""
        if not normalise(text):
            return []
        found = process.extract(
            normalise(text),
            self._choices,
            scorer=fuzz.WRatio,
            limit=limit * 4,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        families: list[Family] = []
        for name, _score, _index in found:
            family = self.families[self.names[name]]
            if family not in families:
                families.append(family)
        return families[:limit]


def load_curated(path: Any = FAMILIES_FILE) -> list[Family]:
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    families = []
    for item in document["families"]:
        if item["category"] not in CATEGORIES:
            raise ValueError(f"{item['key']}: unknown category {item['category']!r}")
        families.append(
            Family(
                key=item["key"],
                vendor=item["vendor"],
                product=item["product"],
                category=item["category"],
                kev_vendors=frozenset(normalise(v) for v in item["kev"]["vendors"]),
                kev_products=tuple(normalise(p) for p in item["kev"]["products"]),
                aliases=tuple(item.get("aliases", ())),
            )
        )
    return families
