"""The four operators the expert drove through the portal (issue #28), as answers and product
lists written here — not the demo data. Each starts from "every control in place" and takes on
the weaknesses the expert found, plus the middling answers a real first self-assessment has;
the products they run are matched against the shipped KEV snapshot and end-of-support data.

Import from here, never from a test module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from portal.kev.catalog import SNAPSHOT, KevEntry, parse_catalog
from portal.kev.lifecycle import load_snapshot
from portal.kev.matching import (
    ProductInUse,
    ProductMatch,
    critical_products,
    unsupported_products,
)
from portal.kev.products import ProductCatalog, load_curated
from portal.questionnaire import Questionnaire
from portal.remediation import Plan, build_plan
from portal.scoring import ScoreResult, score_assessment, with_product_gaps
from tests.domain.answers import answers_for

TODAY = date(2026, 12, 6)


@dataclass(frozen=True)
class Product:
    category: str
    vendor: str
    product: str
    version: str = ""
    internet_facing: bool = False
    managed_by_msp: bool = False


@dataclass(frozen=True)
class Operator:
    name: str
    sector: str
    ownership: str
    answers: dict[str, str]  # what differs from "every control in place"
    profile: dict[str, str]
    products: tuple[Product, ...]


HOSPITAL = Operator(
    "Prairie View Hospital, 25 beds, critical access",
    "hospital",
    "nonprofit",
    {
        # RDP port-forwarded for a vendor.
        "core.no_exposed_services": "exposed",
        "core.vendor_remote_access": "no",
        "hospital.device_vendor_remote_access": "partly",
        # The VPN takes a password only; email has MFA for some accounts.
        "core.mfa_remote_email": "partly",
        "hospital.ehr_remote_access_mfa": "no",
        # Backups only on the network.
        "core.offline_backups": "online",
        "core.external_scan": "no",
        "core.incident_plan": "partly",
        "core.asset_inventory": "partly",
        "core.security_training": "partly",
        "core.email_authentication": "partly",
        "core.endpoint_protection": "partly",
        "core.log_collection": "no",
        "core.network_diagram": "no",
        "hospital.ehr_downtime_procedures": "written",
    },
    {"hospital.rural": "yes"},
    (
        Product("edge", "Fortinet", "FortiGate", "7.0.12", internet_facing=True),
        Product("email", "Microsoft", "Exchange 2016", "CU23", internet_facing=True),
        Product("servers", "Microsoft", "Windows Server 2012 R2"),
        Product("servers", "VMware", "ESXi", "7.0.3"),
        Product("backup", "Veeam", "Backup & Replication", "12.1"),
        Product("servers", "Microsoft", "Office", "2016"),
        Product("remote_support", "ConnectWise", "ScreenConnect", "23.9.8", managed_by_msp=True),
        Product("file_transfer", "Progress", "MOVEit Transfer", "2023.0.1"),
        Product("servers", "Citrix", "NetScaler ADC", "13.1"),
        Product("other", "Apache", "Tomcat", "9.0.80"),
    ),
)

BANK = Operator(
    "Farmers & Drovers Bank, $300M in assets",
    "bank",
    "private",
    {
        # The call-back is a habit, not a written rule; business customers approve payments
        # with a password alone.
        "bank.callback_verification": "usually",
        "bank.online_banking_admin_mfa": "admin_only",
        "bank.payment_dual_control": "partly",
        # Exposure not checked from outside.
        "core.no_exposed_services": "unchecked",
        "core.external_scan": "no",
        "core.incident_plan": "partly",
        "core.security_training": "partly",
        "core.phishing_practice": "no",
        "bank.bec_training": "partly",
        "core.log_collection": "partly",
        "core.network_diagram": "no",
    },
    {},
    (
        Product("edge", "Cisco", "ASA", "9.12", internet_facing=True, managed_by_msp=True),
        Product("servers", "Microsoft", "Windows Server 2019"),
        Product("servers", "Microsoft", "Office", "2019"),
        Product("servers", "Microsoft", "SharePoint Server 2016"),
    ),
)

CO_OP = Operator(
    "Lakeland Electric Cooperative, 9,000 meters",
    "electric",
    "cooperative",
    {
        # The SCADA VPN takes a password only.
        "electric.remote_access_mfa": "vpn_no_mfa",
        "core.external_scan": "no",
        "core.incident_plan": "partly",
        "core.asset_inventory": "partly",
        "core.log_collection": "no",
        "core.security_training": "partly",
        "core.ot_segmentation": "partly",
    },
    {"electric.nerc_registered": "no", "electric.owns_generation": "no"},
    (
        Product("edge", "Zyxel", "USG FLEX 200", "5.36", internet_facing=True),
        Product("servers", "Microsoft", "Windows Server 2016"),
        Product("control_systems", "Schneider Electric", "ClearSCADA"),
    ),
)

WATER = Operator(
    "Cedar Creek Water District, 4,000 connections",
    "water",
    "public",
    {
        # The HMI can be reached through a remote-support tool that runs all the time.
        "water.remote_tools_left_on": "yes",
        "core.external_scan": "no",
        "core.incident_plan": "no",
        "core.asset_inventory": "partly",
        "core.security_training": "partly",
        "core.log_collection": "no",
        "water.cyber_assessment": "no",
        "core.network_diagram": "no",
    },
    {},
    (
        Product("remote_support", "TeamViewer", "TeamViewer", "15.50", internet_facing=True),
        Product("control_systems", "Unitronics", "Vision PLC"),
        Product("servers", "Microsoft", "Windows 10", "22H2"),
    ),
)

OPERATORS = (HOSPITAL, BANK, CO_OP, WATER)


@cache
def _catalog() -> tuple[ProductCatalog, dict[str, KevEntry]]:
    entries = parse_catalog(SNAPSHOT.read_bytes()).entries
    return ProductCatalog(load_curated(), entries), {e.cve_id: e for e in entries}


def exposure_of(operator: Operator) -> tuple[ProductMatch, ...]:
    """The operator's products matched as the portal matches them (nothing settled yet)."""
    catalog, entries = _catalog()
    by_family: dict[str, list[KevEntry]] = {}
    for cve, keys in catalog.entry_families.items():
        for key in keys:
            by_family.setdefault(key, []).append(entries[cve])
    found = []
    for index, item in enumerate(operator.products, start=1):
        family = catalog.resolve(item.vendor, item.product)
        key = family.key if family else None
        in_use = ProductInUse(
            index,
            item.category,
            item.vendor,
            item.product,
            item.version,
            item.internet_facing,
            item.managed_by_msp,
            key,
            family.label if family else None,
        )
        support = load_snapshot().status(key, item.product, item.version, TODAY)
        matched = tuple(by_family.get(key, ())) if key else ()
        if matched or (support is not None and support.state in ("unsupported", "extended")):
            # Listed today: each entry's days run from today, as the portal counts them.
            first = tuple((e.cve_id, TODAY) for e in matched)
            found.append(ProductMatch(in_use, matched, first_matched=first, support=support))
    return tuple(found)


def answers_of(questionnaire: Questionnaire, operator: Operator) -> dict[str, str | None]:
    answers = answers_for(questionnaire, operator.sector, "yes")
    answers.update(operator.profile)
    answers.update(operator.answers)
    return answers


def assess(questionnaire: Questionnaire, operator: Operator) -> tuple[ScoreResult, Plan]:
    """Score and plan the operator as the portal does (assessments/state.py)."""
    answers = answers_of(questionnaire, operator)
    exposure = exposure_of(operator)
    result = score_assessment(questionnaire, questionnaire.modules_for([operator.sector]), answers)
    result = with_product_gaps(
        questionnaire, result, critical_products(exposure), unsupported_products(exposure)
    )
    plan = build_plan(
        questionnaire,
        result,
        sectors=[operator.sector],
        ownership=operator.ownership,
        today=TODAY,
        answers=answers,
        exploited=exposure,
    )
    return result, plan
