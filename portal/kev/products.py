"""Product families: how "what we run" meets the KEV catalog's vendor and product names.

A *family* is one product line as people name it ("Fortinet FortiOS (FortiGate firewall and
SSL-VPN)"). The curated families in data/kev/products.yaml gather the catalog's inconsistent names
for the products small operators run, with the names people type ("FortiGate", "ScreenConnect");
every other product of the catalog is a family of its own — one per device model where the
catalog's name carries one ("D-Link DNS-320", whichever of its two catalog names an entry uses),
else one per catalog name. An inventory item points to one family; a catalog entry belongs to
every family that admits it. Matching is then an equality of family keys — one join in SQL,
however many organizations there are.

How a family admits an entry (:meth:`Family.admits`): the entry's vendor is one of the family's,
and a pattern of the family matches the entry's product as **whole words** ("IOS" is not "IOS
XR", "DNS-320" is not "DNS-320L", "Exchange" is not "Internet Key Exchange"). Where the catalog's
product names no product — "Multiple Products", the vendor's own name, "Multiple NAS Devices" —
the family's ``mentions`` are looked for in the entry's name and description instead ("Fortinet
FortiOS, FortiProxy and FortiWeb contain …"). ``exclude`` patterns turn an entry away.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from rapidfuzz import fuzz, process, utils

from portal.kev.catalog import DATA_DIR, KevEntry
from portal.questionnaire.words import N_

FAMILIES_FILE = DATA_DIR / "products.yaml"

CATEGORIES = {
    "edge": N_("Internet-facing edge: VPN, firewall, remote-access gateway"),
    "remote_support": N_("Remote-support and RMM tools"),
    "email": N_("Email"),
    "file_transfer": N_("File transfer"),
    "backup": N_("Backup and storage"),
    "servers": N_("Servers, operating systems and office software"),
    "control_systems": N_("Control systems, medical devices and cameras"),
    "other": N_("Other software or devices"),
}

SUGGESTION_CUTOFF = 80  # rapidfuzz WRatio, 0-100: below this a name is not offered (tuned by hand:
# "screenconect" scores 96 on ScreenConnect, "Cerner" 77 on vCenter)


VENDOR_CUTOFF = 85  # a typed vendor names a catalog vendor at this WRatio or above ("Fortinett")


def normalise(text: str) -> str:
    """Case, spacing and punctuation folded, for comparing names people type."""
    return " ".join(utils.default_process(text).split())


def words(text: str) -> str:
    """Text prepared for whole-word patterns: lower case, every character but letters, digits
    and commas a space ("IOS, XR, and XE" keeps its commas: they tell "IOS, XR" from "IOS XR")."""
    return " ".join(re.sub(r"[^a-z0-9,]+", " ", text.lower()).split())


def pattern(spec: str) -> re.Pattern[str]:
    """A family's pattern: "re:<regex>" as written, else a phrase matched as whole words (a
    plural "s" allowed: "Security Gateways", "cameras")."""
    if spec.startswith("re:"):
        return re.compile(spec[3:])
    return re.compile(r"(?<![a-z0-9])" + re.escape(words(spec)) + r"s?(?![a-z0-9])")


def names_no_product(entry: KevEntry) -> bool:
    """The catalog's product field names no product ("Multiple Products", "Microsoft" for an
    Exchange flaw, "Multiple NAS Devices"): the name and description say which."""
    product = words(entry.product)
    return (
        product in ("multiple products", "multiple", words(entry.vendor_project))
        or product.startswith("multiple ")
        or product in ("routers", "devices")
    )


@dataclass(frozen=True)
class Family:
    key: str
    vendor: str
    product: str
    category: str
    kev_vendors: frozenset[str]  # normalised
    kev_products: tuple[re.Pattern[str], ...] = ()  # on the product; empty: the catalog product
    aliases: tuple[str, ...] = ()
    mentions: tuple[re.Pattern[str], ...] = ()  # on name and description, for "Multiple Products"
    exclude: tuple[re.Pattern[str], ...] = ()
    # On the entry's name, for entries filed under a sibling product ("Cisco IOS Software and
    # Cisco IOS XE Software …" filed as "IOS XE Software" belongs to classic IOS too).
    named: tuple[re.Pattern[str], ...] = ()
    model: str = field(default="", compare=False)  # a generic family of one device model

    @property
    def label(self) -> str:
        if normalise(self.product).startswith(normalise(self.vendor)):
            return self.product  # "Exim Exim mail server" reads "Exim mail server"
        return f"{self.vendor} {self.product}"

    def admits(self, entry: KevEntry) -> bool:
        if normalise(entry.vendor_project) not in self.kev_vendors:
            return False
        product = words(entry.product)
        if any(p.search(product) for p in self.exclude):
            return False
        if self.model:
            return _model_admits(self.model, entry)
        if not self.kev_products and not self.mentions:
            return normalise(entry.product) == normalise(self.product)
        if names_no_product(entry) and self.mentions:
            text = words(f"{entry.vulnerability_name} {entry.short_description}")
            return any(p.search(text) for p in self.mentions)
        # (A single-product vendor's entries name the product as the vendor: "SimpleHelp".)
        if any(p.search(product) for p in self.kev_products):
            return True
        return any(p.search(words(entry.vulnerability_name)) for p in self.named)


# A device model in a catalog product name: letters, an optional dash, two digits or more, and
# what follows ("DNS-320", "DIR-859", "DCS-2530L", "EMG2926", "P660HN-T1A").
_MODEL = re.compile(r"(?<![a-z0-9])([a-z]+-?[0-9]{2,}[a-z0-9]*(?:-[a-z0-9]+)?)(?![a-z0-9])")


def models_in(product: str) -> list[str]:
    """The device models a catalog product name carries, as written there ("DNS-320")."""
    return [m.group(1) for m in _MODEL.finditer(product.lower())]


def _plausible_model(model: str) -> bool:
    """A model named in a description, not a CVE id or a word like "base64d"."""
    return len(model) >= 5 and not model.startswith(("cve-", "cwe-", "base64"))


def _model_admits(model: str, entry: KevEntry) -> bool:
    wanted = pattern(model)
    if wanted.search(words(entry.product)):
        return True
    return names_no_product(entry) and bool(
        wanted.search(words(f"{entry.vulnerability_name} {entry.short_description}"))
    )


NAME_LENGTH = 300  # kev_family_names.name, inventory_items.match_name
KEY_LENGTH = 200  # family keys in the database


# Version words people type after a product's name ("Windows Server 2012 R2", "Exchange 2016
# CU23", "FortiOS 7.0.12"): a product is looked up without them.
_VERSION_WORD = re.compile(
    r"^(?:v?\d[\w.-]*|r\d+|sp\d+|cu\d+|su\d+|update|version|build|edition"
    # editions and builds typed after a version ("Windows Server 2019 Standard")
    r"|standard|datacenter|enterprise|essentials|professional|pro|home|education|ltsc|ltsb"
    r"|x64|x86|\d+-bit)$"
)
# A bare number that names a model rather than a release ("SMA 1000", "SMA 6200", "DS-220"):
# three digits or more and not a year. Kept on the first lookups, dropped on the last.
_MODEL_NUMBER = re.compile(r"^(?!(?:19|20)\d\d$)\d{3,}$")


def without_version(product: str, *, keep_models: bool = False) -> str:
    """The product's name without the version words typed after it ("exchange 2016 cu23" →
    "exchange"); the name as typed if nothing else would remain. ``keep_models``: stop at a
    model number ("sma 1000 12.4" → "sma 1000")."""
    # Split where the person put spaces ("DNS-320" is a model, one word), then fold.
    tokens = product.split()
    while len(tokens) > 1:
        last = tokens[-1].lower().strip(",;()")
        if not _VERSION_WORD.match(last) or (keep_models and _MODEL_NUMBER.match(last)):
            break
        tokens.pop()
    return normalise(" ".join(tokens))


def match_name(vendor: str, product: str) -> str:
    """How a typed product is looked up when nothing longer names a family: "vendor product",
    folded, version words dropped (see :meth:`ProductCatalog.lookup_name`)."""
    return normalise(f"{vendor} {without_version(product)}")[:NAME_LENGTH]


def lookup_names(vendor: str, product: str) -> list[str]:
    """The names a typed product is looked up by, most specific first: as typed, without its
    version but with its model number ("SonicWall SMA 1000 12.4" → "sonicwall sma 1000", not
    the SMA 100's "sonicwall sma"), then without any number (:func:`match_name`)."""
    found = [
        normalise(f"{vendor} {product}")[:NAME_LENGTH],
        normalise(f"{vendor} {without_version(product, keep_models=True)}")[:NAME_LENGTH],
        match_name(vendor, product),
    ]
    return list(dict.fromkeys(found))


def model_key(vendor: str, model: str) -> str:
    return f"kev:{normalise(vendor)}|model {normalise(model)}"[:KEY_LENGTH]


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
        entries = list(entries)
        # Every device model the catalog names, each a family of its own: an entry names its
        # model in its product ("DNS-320 Device", "DNS-320 Storage Device") or, under "Multiple
        # Routers", in its description — every such entry belongs to that model's family.
        models: dict[str, Family] = {}
        for entry in entries:
            if any(f.admits(entry) for f in curated_families):
                continue
            named = (
                models_in(entry.product)
                if not names_no_product(entry)
                else [m for m in models_in(entry.short_description) if _plausible_model(m)]
            )
            for model in named:
                key = model_key(entry.vendor_project, model)
                shown = re.search(
                    re.escape(model), f"{entry.product} {entry.short_description}", re.I
                )
                models.setdefault(
                    key,
                    Family(
                        key,
                        entry.vendor_project,
                        shown.group(0) if shown else model.upper(),
                        "other",
                        frozenset({normalise(entry.vendor_project)}),
                        model=model,
                    ),
                )
        model_families = list(models.values())
        self.families.update(models)
        self.entry_families: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            keys = [f.key for f in curated_families if f.admits(entry)]
            if not keys:
                keys = [f.key for f in model_families if f.admits(entry)]
            if not keys:
                key = generic_key(entry.vendor_project, entry.product)
                if key not in self.families:
                    self.families[key] = Family(
                        key,
                        entry.vendor_project,
                        entry.product,
                        "other",
                        frozenset({normalise(entry.vendor_project)}),
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

    def lookup_name(self, vendor: str, product: str) -> str:
        """The name ``vendor`` ``product`` is found by — the most specific of
        :func:`lookup_names` that names a family, else the shortest (stored with the item:
        the name the database's re-match looks up after each catalog import)."""
        candidates = lookup_names(vendor, product)
        return next((name for name in candidates if name in self.names), candidates[-1])

    def resolve(self, vendor: str, product: str) -> Family | None:
        """The family these words name exactly (case, spacing and punctuation aside), the most
        specific name first (:meth:`lookup_name`). A product's name never stands for another
        vendor's product ("Cisco" "Routers" is not D-Link's Routers); what is not found gets
        suggestions instead."""
        key = self.names.get(self.lookup_name(vendor, product))
        return self.families[key] if key is not None else None

    def suggest(self, text: str, limit: int = 5) -> list[Family]:
        """Families whose names are close to ``text``, best first (fuzzy, typo-tolerant)."""
        if not normalise(text):
            return []
        return self._closest(normalise(text), self._choices, self.names, limit)

    def suggest_for(self, vendor: str, product: str, limit: int = 5) -> list[Family]:
        """What a person may have meant by ``vendor`` ``product``. Once a vendor is named, only
        that vendor's products are offered (typos in the vendor tolerated), compared by their
        product names: Inductive Automation's Ignition is never offered Laravel's, nor Sophos
        Intercept X Apple's OS X."""
        if not normalise(vendor):
            return self.suggest(product, limit)
        if not normalise(product):
            return []
        allowed = self.vendor_families(vendor)
        names: dict[str, str] = {}
        for key in sorted(allowed):
            family = self.families[key]
            for name in (family.product, *family.aliases):
                names.setdefault(normalise(name)[:NAME_LENGTH], key)
        return self._closest(normalise(product), list(names), names, limit)

    def _closest(
        self, text: str, choices: list[str], names: dict[str, str], limit: int
    ) -> list[Family]:
        found = process.extract(
            text, choices, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=SUGGESTION_CUTOFF
        )
        families: list[Family] = []
        for name, _score, _index in found:
            family = self.families[names[name]]
            if family not in families:
                families.append(family)
        return families[:limit]

    def vendor_families(self, vendor: str) -> set[str]:
        """Keys of the families of the catalog vendor(s) ``vendor`` names (typos tolerated)."""
        typed = normalise(vendor)
        keys = set()
        for family in self.families.values():
            names = {normalise(family.vendor), *family.kev_vendors}
            if any(fuzz.WRatio(typed, name) >= VENDOR_CUTOFF for name in names if name):
                keys.add(family.key)
        return keys


def load_curated(path: Any = FAMILIES_FILE) -> list[Family]:
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    families = []
    for item in document["families"]:
        if item["category"] not in CATEGORIES:
            raise ValueError(f"{item['key']}: unknown category {item['category']!r}")
        kev = item["kev"]
        families.append(
            Family(
                key=item["key"],
                vendor=item["vendor"],
                product=item["product"],
                category=item["category"],
                kev_vendors=frozenset(normalise(v) for v in kev["vendors"]),
                kev_products=tuple(pattern(p) for p in kev.get("products", ())),
                aliases=tuple(item.get("aliases", ())),
                mentions=tuple(pattern(p) for p in kev.get("mentions", ())),
                exclude=tuple(pattern(p) for p in kev.get("exclude", ())),
                named=tuple(pattern(p) for p in kev.get("named", ())),
            )
        )
    return families
