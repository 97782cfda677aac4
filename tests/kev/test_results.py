"""Known-exploited flaws on the results page, in the plan and in the PDF."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import World, submit_assessment
from tests.kev.catalogs import add_product as add
from tests.kev.catalogs import load, small, snapshot
from tests.web import login, pages_text

UNITRONICS = next(
    v["cveID"] for v in snapshot()["vulnerabilities"] if v["vendorProject"] == "Unitronics"
)


def test_matches_lead_the_plan_and_show_on_the_results_page_and_in_the_pdf(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    load(app, small())
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    # Before any product is listed, the results page asks for them.
    before = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert "List the products you run" in before
    # The critical gap on patching known-exploited flaws leads to the list of what you run...
    assert "List what you run: the portal names the known-exploited flaws in it" in before
    add(client, product="FortiGate", version="7.4.1", internet_facing="yes")
    add(
        client,
        category="control_systems",
        vendor="Unitronics",
        product="Vision PLC",
        internet_facing="no",
        managed_by="msp",
    )
    html = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    # ...and, once products match, to their flaws.
    link = soup.select_one(".portal-critical a[href='#kev-heading']")
    assert link is not None and "2 products with known-exploited flaws" in link.get_text()
    section = soup.select_one("section.portal-kev")
    assert section is not None
    text = section.get_text(" ", strip=True)
    assert "Fortinet FortiOS" in text and "Unitronics Vision PLC and HMI" in text
    assert UNITRONICS in text
    assert "KEV lists products, not version ranges" in text
    # Ransomware-linked and internet-facing first.
    assert text.index("Fortinet FortiOS") < text.index("Unitronics Vision")
    # The plan: FortiOS critical and in the first 30 days; Unitronics due within 60.
    plan = soup.get_text(" ", strip=True)
    assert re.search(r"Patch Fortinet FortiOS \(FortiGate firewall and SSL-VPN\): \d+ flaws", plan)
    first_five = soup.select_one(".portal-first-five").get_text(" ", strip=True)
    # An internet-facing VPN: first a check for a break-in, then the patch.
    lead = first_five.split("Score per")[0]
    assert lead.index("Check Fortinet FortiOS") < lead.index("Patch Fortinet FortiOS")

    pdf = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    assert "Known-exploited flaws in what you run" in pdf
    assert "each with its own action in this plan" in pdf  # the scoring question points on
    assert UNITRONICS in pdf and "FACES THE INTERNET" in pdf
    # Its flaw is a default password: changing it is the fix.
    assert "Change the default password on Unitronics Vision PLC and HMI" in pdf
    assert "Your vendor or MSP" in pdf  # the PLC is looked after by the MSP


def test_the_plan_action_follows_the_criticality_rule(app: Flask, world: World) -> None:
    """Internet-facing or ransomware-linked: critical, first 30 days; otherwise within 60."""
    from portal.assessments import state as assessment_state
    from portal.extensions import db
    from portal.models import Assessment

    load(app, small())
    assessment_id = submit_assessment(app, world)
    client = app.test_client()
    login(client, world.operator_a)
    add(client, category="control_systems", vendor="Unitronics", product="Vision PLC")
    add(client, category="remote_support", product="ScreenConnect", internet_facing="no")
    with app.test_request_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        plan = assessment_state.load(assessment).plan
        by_name = {a.kev.product.name: a for a in plan.actions if a.kev and a.kind == "patch"}
    plc = by_name["Unitronics Vision PLC and HMI"]
    assert not plc.critical and plc.window is not None and plc.window <= 60
    # Ransomware-linked entries inside the network, matched by name not version: due within 30
    # days, not a critical gap until its version is settled (questionnaires/README.md).
    remote = by_name["ConnectWise ScreenConnect"]
    assert not remote.critical and remote.window == 30 and remote.action.due_within == 30
    # Not on the internet: patch hygiene (stage 4), after what stops exposure and the most
    # common losses (questionnaires/README.md, The order of the plan).
    assert remote.stage == 4 and plc.stage == 4
    assert plan.actions[0].stage <= remote.stage


def test_the_wizard_question_on_kev_links_to_the_product_list(
    app: Flask, client: FlaskClient, world: World
) -> None:
    from tests.web import post_form

    login(client, world.operator_a)
    start = post_form(client, "/assessments/start", {}, page="/assessments/")
    draft = re.search(r"/assessments/(\d+)/", start.headers["Location"]).group(1)
    pages = [client.get(f"/assessments/{draft}/steps/{i}").get_data(as_text=True) for i in range(6)]
    step = next(p for p in pages if "q-core.kev_internet_patched" in p)
    assert f"/organization/products/?next=/assessments/{draft}/steps/" in step
