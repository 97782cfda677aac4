"""The four inventories the issue tried, entered as their operators would, against the whole
shipped catalog: what each product matches, what the plan tells them to do with it, and that a
product run at its fixed release is settled in a few clicks and leaves the plan.

A rural hospital (FortiGate 7.0.12, NetScaler, Exchange 2016, Ivanti Connect Secure,
ScreenConnect 23.9.8, MOVEit 2023.0.1, ASA, Veeam, ESXi, Windows Server 2012 R2), a water
district (Unitronics, Inductive Automation Ignition, TeamViewer, Ubiquiti UniFi), a bank (IOS XE,
SMA 100, SharePoint, WS_FTP) and an electric co-op (PAN-OS, Zyxel firewall, two D-Link devices).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.assessments import state as assessment_state
from portal.extensions import db
from portal.models import Assessment, InventoryItem
from tests.factories import World, submit_assessment
from tests.kev.catalogs import add_product, load, snapshot
from tests.web import csrf_token, login

HOSPITAL = [
    {"product": "FortiGate", "version": "7.0.12", "internet_facing": "yes"},
    {
        "vendor": "Citrix",
        "product": "NetScaler Gateway",
        "version": "14.1-12.35",
        "internet_facing": "yes",
    },
    {
        "category": "email",
        "vendor": "Microsoft",
        "product": "Exchange 2016",
        "version": "CU23",
        "internet_facing": "yes",
    },
    {
        "vendor": "Ivanti",
        "product": "Connect Secure",
        "version": "22.7R2.4",
        "internet_facing": "yes",
    },
    {
        "category": "remote_support",
        "product": "ScreenConnect",
        "version": "23.9.8",
        "internet_facing": "yes",
    },
    {
        "category": "file_transfer",
        "product": "MOVEit Transfer",
        "version": "2023.0.1",
        "internet_facing": "yes",
    },
    {"vendor": "Cisco", "product": "ASA", "version": "9.16.4"},
    {"category": "backup", "product": "Veeam Backup & Replication", "version": "12.1.2"},
    {"category": "servers", "vendor": "VMware", "product": "ESXi", "version": "7.0 U3"},
    {"category": "servers", "vendor": "Microsoft", "product": "Windows Server 2012 R2"},
]


def _fill(app: Flask, email: str, products: list[dict[str, Any]]) -> Any:
    client = app.test_client()
    login(client, email)
    for fields in products:
        response = add_product(client, **fields)
        if response.status_code == 200:  # suggestions offered: pick the first, as people do
            html = response.get_data(as_text=True)
            choice = re.search(r'name="choice" type="radio" value="([^"]+)"', html)
            assert choice, (fields, "no suggestion offered")
            data = {
                "category": "edge",
                "vendor": "",
                "version": "",
                "internet_facing": "no",
                "managed_by": "us",
                **fields,
                "choice": choice.group(1),
            }
            response = client.post(
                "/organization/products/", data={**data, "csrf_token": csrf_token(html)}
            )
        assert response.status_code == 302, fields
    return client


def _plan(app: Flask, assessment_id: int) -> Any:
    """The assessment's state with its exposure and plan worked out (inside the app)."""
    with app.test_request_context():
        state = assessment_state.load(db.session.get(Assessment, assessment_id))
        assert state.exposure is not None and state.plan is not None
        return state


def test_the_hospital_gets_replace_check_and_patch_as_an_expert_would(
    app: Flask, world: World
) -> None:
    load(app, snapshot())
    client = _fill(app, world.operator_a, HOSPITAL)
    assessment_id = submit_assessment(app, world)
    state = _plan(app, assessment_id)
    by_product = {m.product.product: m for m in state.exposure}
    # Families: Exchange's own entries (not Internet Key Exchange), ASA without AnyConnect.
    exchange = by_product["Exchange 2016"]
    assert "CVE-2026-33824" not in {e.cve_id for e in exchange.entries}
    assert "CVE-2026-42897" in {e.cve_id for e in exchange.entries}
    assert not {"CVE-2020-3153", "CVE-2020-3433"} & {e.cve_id for e in by_product["ASA"].entries}
    # End of support from the dated snapshot: Exchange 2016, Server 2012 R2, FortiOS 7.0, ESXi 7.
    for name in ("Exchange 2016", "Windows Server 2012 R2", "FortiGate", "ESXi"):
        assert by_product[name].support is not None and by_product[name].support.unsupported, name
    actions = [a for a in state.plan.actions if a.kev]
    titles = {(a.kev.product.product, a.kind) for a in actions}
    # Exchange 2016 and Server 2012 R2: their last updates now, and their replacement beside.
    for name in ("Exchange 2016", "Windows Server 2012 R2"):
        assert {(name, "replace"), (name, "patch")} <= titles, name
    assert ("FortiGate", "replace") in titles  # "Move … to a supported release": the patch too
    assert ("FortiGate", "patch") not in titles
    # Exposed edge, remote-access and file-transfer products: one break-in check for all of
    # them, in this week's block, before their patches.
    (check,) = [a for a in state.plan.actions if a.kind == "check"]
    checked = {m.product.product for m in check.products}
    assert {"Connect Secure", "ScreenConnect", "MOVEit Transfer", "NetScaler Gateway"} <= checked
    assert check.this_week and check.critical
    assert all(check.rank < a.rank for a in actions if a.kev.product.product in checked)
    # Internet-facing open matches carry the catalog's own deadline.
    assert all(a.due_on for a in actions if a.kev.product.internet_facing and a.kind == "patch")
    # ScreenConnect 23.9.8 is the vendor's fix for CVE-2024-1709 and CVE-2024-1708, not for
    # CVE-2025-3935 (fixed in 25.2.4): the operator settles those two, and the third stays.
    screenconnect = by_product["ScreenConnect"]
    item = screenconnect.product.id
    page = client.get("/organization/products/").get_data(as_text=True)
    assert "Choose a date" in page
    client.post(
        f"/organization/products/{item}/flaws/older-fixed",
        data={
            "before": "2024-02-22",  # CVE-2024-1709 only: 1 flaw, as its choice says
            "running_version": "23.9.8",
            "item_version": "23.9.8",
            "next": "",
            "csrf_token": csrf_token(page),
        },
    )
    form = client.get(f"/organization/products/{item}/flaws/CVE-2024-1708").get_data(as_text=True)
    client.post(
        f"/organization/products/{item}/flaws/CVE-2024-1708",
        data={
            "state": "fixed",
            "running_version": "23.9.8",
            "item_version": "23.9.8",
            "revision": "0",
            "next": "",
            "csrf_token": csrf_token(form),
        },
    )
    after = _plan(app, assessment_id)
    left = [a for a in after.plan.actions if a.kev and a.kev.product.id == item]
    assert [a.kind for a in left] == ["patch"]
    assert [e.cve_id for e in left[0].kev.open_entries] == ["CVE-2025-3935"]


def test_the_water_district_bank_and_co_op_match_their_own_products_only(
    app: Flask, world: World
) -> None:
    load(app, snapshot())
    # The water district: Ignition matches nothing, and no other vendor's "Ignition" is offered.
    client = app.test_client()
    login(client, world.operator_b)
    ignition = add_product(
        client, category="control_systems", vendor="Inductive Automation", product="Ignition"
    )
    assert ignition.status_code == 302  # kept as typed: nothing offered from other vendors
    # (the page lists every catalog name for typing help; nothing was *offered* as this one)
    _fill(
        app,
        world.operator_b,
        [
            {"category": "control_systems", "vendor": "Unitronics", "product": "Vision PLC"},
            {
                "category": "remote_support",
                "product": "TeamViewer",
                "version": "15.50",
                "internet_facing": "yes",
            },
            {"vendor": "Ubiquiti", "product": "UniFi OS", "version": "4.1"},
        ],
    )
    # The co-op (a second organization's operator is world.operator_a here).
    _fill(
        app,
        world.operator_a,
        [
            {
                "vendor": "Palo Alto Networks",
                "product": "PAN-OS",
                "version": "11.1.2",
                "internet_facing": "yes",
            },
            {"vendor": "Zyxel", "product": "USG FLEX 200", "version": "5.37"},
            {"category": "backup", "vendor": "D-Link", "product": "DNS-320"},
            {"vendor": "D-Link", "product": "DIR-859", "internet_facing": "yes"},
            {"vendor": "Cisco", "product": "IOS XE", "version": "17.9.4"},
            {"vendor": "SonicWall", "product": "SMA 100", "version": "10.2.1.13"},
        ],
    )
    with app.app_context():
        items = {i.product: i.family_key for i in db.session.scalars(sa.select(InventoryItem))}
    assert items["Ignition"] is None
    assert items["DNS-320"] == "kev:d link|model dns 320"
    assert items["IOS XE"] == "cisco-ios-xe" and items["SMA 100"] == "sonicwall-sma"
    assessment_id = submit_assessment(app, world)
    state = _plan(app, assessment_id)
    by_product = {m.product.product: m for m in state.exposure}
    nas = by_product["DNS-320"]
    assert {e.cve_id for e in nas.entries} == {"CVE-2019-16057", "CVE-2020-25506"}
    titles = [
        a.action.title for a in state.plan.actions if a.kev and a.kev.product.product == "DNS-320"
    ]
    assert titles and titles[0].startswith("Replace or cut off")  # CISA: end of life
    assert not [t for t in titles if t.startswith("Patch")]
    ios = {e.cve_id for e in by_product["IOS XE"].entries}
    assert not ios & {"CVE-2022-20821", "CVE-2004-1464"}  # IOS XR, classic IOS
    sma = {e.cve_id for e in by_product["SMA 100"].entries}
    assert not sma & {"CVE-2025-23006", "CVE-2025-40602"}  # SMA 1000
    # PAN-OS 11.1.2: supported, and told a newer release of its line is out.
    panos = by_product["PAN-OS"].support
    assert panos is not None and panos.state == "supported" and panos.behind_latest
