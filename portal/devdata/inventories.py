"""What generated organizations run: a vendor mix per sector, for the national dataset.

The shares are judgement, not a survey: small operators' edge devices are mostly Fortinet,
SonicWall, Cisco and WatchGuard; remote support is TeamViewer, ScreenConnect and AnyDesk, often
run by an IT provider; hospitals and banks keep on-premises Exchange longer than towns do; water
plants run Unitronics, Rockwell and Schneider controllers. Some names are typed as people type
them ("FortiGate", "ScreenConnect"), some match no catalog product (Microsoft 365, WatchGuard):
those are kept unmatched, as the portal keeps them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from portal.exposure.inventory import ProductFields


@dataclass(frozen=True)
class Typed:
    vendor: str
    product: str
    versions: tuple[str, ...] = ("",)


@dataclass(frozen=True)
class Slot:
    """One kind of product an organization may run: how likely per sector, and the mix."""

    category: str
    chance: dict[str, float]  # by sector
    mix: tuple[tuple[Typed, int], ...]
    facing: float  # share facing the internet
    msp: float  # share run by an IT provider


SLOTS: tuple[Slot, ...] = (
    Slot(
        "edge",
        {"hospital": 0.95, "bank": 0.95, "electric": 0.9, "water": 0.6},
        (
            (Typed("Fortinet", "FortiGate", ("7.0.12", "7.2.5", "7.4.2", "6.4.9")), 30),
            (Typed("SonicWall", "SonicOS", ("7.0.1", "6.5.4")), 18),
            (Typed("Cisco", "ASA", ("9.16", "9.18")), 14),
            (Typed("WatchGuard", "Firebox", ("12.10",)), 10),
            (Typed("Palo Alto Networks", "PAN-OS", ("10.2", "11.1")), 8),
            (Typed("Ivanti", "Connect Secure", ("22.7",)), 4),
            (Typed("Citrix", "NetScaler ADC", ("13.1", "14.1")), 4),
            (Typed("Sophos", "Firewall", ("19.5",)), 5),
            (Typed("Netgear", "ProSAFE", ("",)), 7),
        ),
        facing=0.9,
        msp=0.35,
    ),
    Slot(
        "remote_support",
        {"hospital": 0.8, "bank": 0.7, "electric": 0.7, "water": 0.55},
        (
            (Typed("TeamViewer", "TeamViewer", ("15",)), 32),
            (Typed("ConnectWise", "ScreenConnect", ("23.9", "24.1")), 25),
            (Typed("AnyDesk", "AnyDesk", ("8",)), 18),
            (Typed("Kaseya", "VSA", ("9.5",)), 8),
            (Typed("N-able", "N-central", ("2023.9",)), 7),
            (Typed("SimpleHelp", "SimpleHelp", ("5.5",)), 4),
            (Typed("BeyondTrust", "Remote Support", ("23.1",)), 6),
        ),
        facing=0.5,
        msp=0.6,
    ),
    Slot(
        "email",
        {"hospital": 0.9, "bank": 0.9, "electric": 0.8, "water": 0.7},
        (
            (Typed("Microsoft", "Microsoft 365"), 60),
            (Typed("Microsoft", "Exchange Server", ("2016 CU23", "2019 CU14")), 25),
            (Typed("Google", "Workspace"), 10),
            (Typed("Zimbra", "Collaboration Suite", ("9.0", "8.8.15")), 3),
            (Typed("Roundcube", "Webmail", ("1.6",)), 2),
        ),
        facing=0.6,
        msp=0.3,
    ),
    Slot(
        "file_transfer",
        {"hospital": 0.3, "bank": 0.6, "electric": 0.2, "water": 0.05},
        (
            (Typed("Progress", "MOVEit Transfer", ("2023.0",)), 35),
            (Typed("Fortra", "GoAnywhere MFT", ("7.4",)), 25),
            (Typed("Progress", "WS_FTP Server", ("8.8",)), 10),
            (Typed("CrushFTP", "CrushFTP", ("10.7",)), 10),
            (Typed("Citrix", "ShareFile"), 20),
        ),
        facing=0.8,
        msp=0.3,
    ),
    Slot(
        "backup",
        {"hospital": 0.85, "bank": 0.85, "electric": 0.7, "water": 0.45},
        (
            (Typed("Veeam", "Backup & Replication", ("12.0", "11a")), 55),
            (Typed("Arcserve", "UDP", ("9.2",)), 8),
            (Typed("Veritas", "Backup Exec", ("22",)), 12),
            (Typed("Datto", "SIRIS"), 15),
            (Typed("QNAP", "NAS", ("QTS 5.1",)), 10),
        ),
        facing=0.05,
        msp=0.4,
    ),
    Slot(
        "servers",
        {"hospital": 0.95, "bank": 0.9, "electric": 0.8, "water": 0.5},
        (
            (Typed("Microsoft", "Windows Server", ("2019", "2022", "2016", "2012 R2")), 60),
            (Typed("VMware", "ESXi", ("7.0", "8.0")), 30),
            (Typed("Microsoft", "SharePoint Server", ("2019",)), 10),
        ),
        facing=0.05,
        msp=0.3,
    ),
    Slot(
        "control_systems",
        {"hospital": 0.5, "bank": 0.0, "electric": 0.9, "water": 0.85},
        (
            (Typed("Unitronics", "Vision PLC", ("",)), 12),
            (Typed("Rockwell Automation", "ControlLogix", ("33",)), 30),
            (Typed("Schneider Electric", "Modicon", ("",)), 20),
            (Typed("Siemens", "SIMATIC S7-1200", ("4.5",)), 15),
            (Typed("NextGen Healthcare", "Mirth Connect", ("4.4",)), 8),
            (Typed("Hikvision", "IP camera", ("",)), 15),
        ),
        facing=0.08,
        msp=0.2,
    ),
)


def inventory_for(sectors: list[str], rng: random.Random) -> list[ProductFields]:
    """The products one organization of these sectors runs (0 to 7 lines)."""
    items = []
    for slot in SLOTS:
        chance = max(slot.chance.get(sector, 0.0) for sector in sectors)
        if rng.random() >= chance:
            continue
        typed = rng.choices([t for t, _ in slot.mix], weights=[w for _, w in slot.mix])[0]
        items.append(
            ProductFields(
                slot.category,
                typed.vendor,
                typed.product,
                rng.choice(typed.versions),
                rng.random() < slot.facing,
                rng.random() < slot.msp,
            )
        )
    return items
