"""The KEV core on the shipped snapshot: the catalog parses, names people type find the right
product family, suggestions tolerate typos, and matches are ranked the way the plan needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import pytest

from portal.kev.catalog import SNAPSHOT, KevCatalog, parse_catalog
from portal.kev.lifecycle import SupportStatus
from portal.kev.matching import ProductInUse, ProductMatch, rank_entries, rank_matches
from portal.kev.products import ProductCatalog, load_curated


@cache
def snapshot() -> KevCatalog:
    return parse_catalog(SNAPSHOT.read_bytes())


@cache
def products() -> ProductCatalog:
    return ProductCatalog(load_curated(), snapshot().entries)


def test_the_shipped_snapshot_is_the_catalog_the_issue_names() -> None:
    catalog = snapshot()
    assert catalog.version == "2026.08.21"
    assert len(catalog.entries) == 1674


@pytest.mark.parametrize(
    ("vendor", "product", "family"),
    [
        ("", "FortiGate", "fortinet-fortios"),
        ("Fortinet", "FortiOS", "fortinet-fortios"),
        ("", "ScreenConnect", "connectwise-screenconnect"),
        ("Unitronics", "Vision PLC", "unitronics-vision"),
        ("ivanti", "connect secure", "ivanti-connect-secure"),
        ("TeamViewer", "TeamViewer", "teamviewer"),  # vendor and product spelled alike
        ("Progress", "MOVEit Transfer", "progress-moveit"),
    ],
)
def test_names_people_type_find_their_family(vendor: str, product: str, family: str) -> None:
    found = products().resolve(vendor, product)
    assert found is not None and found.key == family


def test_a_vendor_alone_does_not_stand_for_a_product_someone_typed() -> None:
    assert products().resolve("Fortinet", "Widget") is None


def test_real_entries_belong_to_their_family() -> None:
    catalog = products()
    by_family: dict[str, set[str]] = {}
    for cve, keys in catalog.entry_families.items():
        for key in keys:
            by_family.setdefault(key, set()).add(cve)
    # Unitronics Vision PLC and HMI: the 2023 attacks on water systems.
    assert "CVE-2023-6448" in by_family["unitronics-vision"]
    assert "CVE-2024-21762" in by_family["fortinet-fortios"]  # FortiOS SSL VPN
    assert "CVE-2024-21887" in by_family["ivanti-connect-secure"]
    assert "CVE-2024-1709" in by_family["connectwise-screenconnect"]


def test_every_entry_has_a_family_and_uncurated_ones_get_a_generic_one() -> None:
    catalog = products()
    assert set(catalog.entry_families) == {e.cve_id for e in snapshot().entries}
    generic = [k for keys in catalog.entry_families.values() for k in keys if k.startswith("kev:")]
    assert generic  # the long tail keeps its own vendor/product family


def test_suggestions_tolerate_typos_and_stay_quiet_for_nonsense() -> None:
    keys = [f.key for f in products().suggest("Fortigate 60F")]
    assert "fortinet-fortios" in keys
    assert products().suggest("screen conect")[0].key == "connectwise-screenconnect"
    assert products().suggest("zzqx") == []


def _in_use(facing: bool, name: str = "x") -> ProductInUse:
    return ProductInUse(1, "edge", "v", name, "", facing, False, "k")


def _ended() -> SupportStatus:
    return SupportStatus(
        "unsupported", "P", "P 1", None, None, None, False, (), "replace", date(2026, 8, 22)
    )


def test_entries_and_matches_are_ranked_ransomware_then_exposure_then_recency() -> None:
    entries = [e for e in snapshot().entries if e.vendor_project == "Fortinet"][:6]
    ranked = rank_entries(entries)
    flags = [e.known_ransomware for e in ranked]
    assert flags == sorted(flags, reverse=True)
    old = replace(entries[0], known_ransomware=False, date_added=date(2022, 1, 1))
    new = replace(entries[0], known_ransomware=False, date_added=date(2025, 1, 1))
    ransomware = replace(entries[0], known_ransomware=True, date_added=date(2021, 1, 1))
    quiet = ProductMatch(_in_use(False, "quiet"), (new,))
    exposed = ProductMatch(_in_use(True, "exposed"), (old,))
    used = ProductMatch(_in_use(False, "used"), (ransomware,))
    assert [m.product.product for m in rank_matches([quiet, exposed, used])] == [
        "used",
        "exposed",
        "quiet",
    ]
    # Inside the network, on a line not known to be unsupported: matched by name, not version,
    # so due within 30 days (ransomware) but not a critical gap until settled.
    assert exposed.critical and not quiet.critical and not used.critical
    assert used.urgent and not quiet.urgent
    ended = replace(used, support=_ended())
    assert ended.critical  # ransomware-linked on a line that gets no more fixes


@pytest.mark.parametrize(
    ("vendor", "product"),
    [("Cisco", "Routers"), ("Zoom", "Client"), ("Veeam", "Enterprise"), ("", "Client")],
)
def test_a_generic_product_name_never_stands_for_another_vendors_product(
    vendor: str, product: str
) -> None:
    """KEV's own product names are often generic ("Routers" is D-Link's, "Client" TrueConf's):
    typed with another vendor, or none, they match nothing and the form offers suggestions."""
    assert products().resolve(vendor, product) is None
    assert products().resolve("D-Link", "Routers") is not None
