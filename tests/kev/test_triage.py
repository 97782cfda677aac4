"""Settling known-exploited matches as an operator does it, and what the portal then says: the
lifecycle across a new catalog (a new entry opens again and is told), a changed version asks
again, many older entries at once, two people at once, bad input, other tenants' matches, the
coordinator's read-only view, and the board summary of a plan with every match settled."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.mail import outbox
from portal.models import AuditEvent, InventoryItem, KevTriage, utcnow
from tests.factories import World, submit_assessment
from tests.kev.catalogs import add_product, entry, load, small
from tests.smtp import SmtpServer
from tests.web import csrf_token, login, pages_text, post_form

FORTIOS = "CVE-2024-21762"  # FortiOS, added 2024-02-09
OLD_FORTIOS = "CVE-2018-13379"


def item_id(app: Flask, product: str) -> int:
    with app.app_context():
        found = db.session.scalar(
            sa.select(InventoryItem.id).where(InventoryItem.product == product)
        )
        assert found is not None
        return found


def settle_page(item: int, cve: str) -> str:
    return f"/organization/products/{item}/flaws/{cve}"


def settle(client: FlaskClient, item: int, cve: str, **fields: Any) -> Any:
    page = client.get(settle_page(item, cve))
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', html)
    data = {"revision": revision.group(1) if revision else "0", "next": "", **fields}
    return client.post(settle_page(item, cve), data={**data, "csrf_token": csrf_token(html)})


@pytest.fixture
def fortigate(app: Flask, world: World) -> tuple[FlaskClient, int]:
    load(app, small())
    client = app.test_client()
    login(client, world.operator_a)
    add_product(client, product="FortiGate", version="7.4.1", internet_facing="yes")
    return client, item_id(app, "FortiGate")


def test_fixed_with_the_version_run_leaves_the_plan_and_is_audited(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    client, item = fortigate
    assessment_id = submit_assessment(app, world)
    results = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert settle_page(item, FORTIOS) in results  # a few clicks from the results page
    done = settle(client, item, FORTIOS, state="fixed", running_version="7.4.5")
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"{FORTIOS} on Fortinet FortiOS" in page and "fixed" in page
    with app.app_context():
        row = db.session.scalar(sa.select(KevTriage))
        assert row is not None and (row.state, row.running_version, row.item_version) == (
            "fixed",
            "7.4.5",
            "7.4.5",
        )
        assert db.session.get(InventoryItem, item).version == "7.4.5"  # the list kept true
        actions = {e.action for e in db.session.scalars(sa.select(AuditEvent))}
        assert {"kev.triaged", "inventory.changed"} <= actions
    soup = BeautifulSoup(
        client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True), "html.parser"
    )
    row_text = soup.find(id=f"kev-{item}").get_text(" ", strip=True)
    assert "Fixed in 7.4.5" in row_text
    pdf = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    assert FORTIOS not in pdf.split("Appendix: what CISA")[0].split("Known-exploited flaws")[-1]


def test_a_new_catalog_entry_opens_the_product_again_and_is_told(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int], mail_server: SmtpServer
) -> None:
    client, item = fortigate
    page = client.get("/organization/products/").get_data(as_text=True)
    # Nothing is chosen at first; each choice says how many flaws it marks.
    assert re.search(r'name="before"[^>]*><option value="" selected>Choose a date', page)
    older = re.search(r'<option value="([\d-]+)">[^<]*, all open ones</option>', page)
    assert older, "the older-entries form is offered"
    bulk = post_form(
        client,
        f"/organization/products/{item}/flaws/older-fixed",
        {"before": older.group(1), "running_version": "7.4.9", "next": ""},
        page="/organization/products/",
    )
    assert bulk.status_code == 302
    page = client.get("/organization/products/").get_data(as_text=True)
    assert "All settled" in page
    # CISA adds a new FortiOS entry: it is open, alone, and the operator is told.
    new = entry("CVE-2026-99901", "Fortinet", "FortiOS")
    load(app, small(version="2026.12.01", add=[new]))
    outbox.wait_for_deliveries()
    page = client.get("/organization/products/").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    product = soup.find(id=f"kev-{item}").get_text(" ", strip=True)
    assert "1 open flaw" in product and "CVE-2026-99901" in product
    (notice,) = mail_server.wait_for(1)
    assert "CVE-2026-99901" in notice.text and notice.envelope_to == [world.operator_a]


def test_changing_the_version_asks_again(app: Flask, fortigate: tuple[FlaskClient, int]) -> None:
    client, item = fortigate
    settle(client, item, FORTIOS, state="not_affected", note="Advisory: 7.4.1 is not affected.")
    page = client.get("/organization/products/").get_data(as_text=True)
    assert "Not affected" in page
    edit = f"/organization/products/{item}/edit"
    post_form(
        client,
        edit,
        {
            "category": "edge",
            "vendor": "",
            "product": "FortiGate",
            "version": "7.2.0",
            "internet_facing": "yes",
            "managed_by": "us",
        },
        page=edit,
    )
    page = client.get("/organization/products/").get_data(as_text=True)
    assert "Check again" in page and "settled for version 7.4.1" in page


def test_two_people_settling_one_match_at_once_one_wins_the_other_sees_what_changed(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    first, item = fortigate
    second = app.test_client()
    login(second, world.operator_a)
    html = second.get(settle_page(item, FORTIOS)).get_data(as_text=True)  # shown revision 0
    assert (
        settle(first, item, FORTIOS, state="mitigated", note="Off the internet").status_code == 302
    )
    late = second.post(
        settle_page(item, FORTIOS),
        data={
            "state": "fixed",
            "running_version": "7.4.5",
            "revision": "0",
            "next": "",
            "csrf_token": csrf_token(html),
        },
    )
    assert late.status_code == 409
    text = late.get_data(as_text=True)
    assert "Someone changed this a moment ago" in text and "Off the internet" in text
    assert 'value="7.4.5"' in text  # what they typed is kept
    with app.app_context():
        row = db.session.scalar(sa.select(KevTriage))
        assert row is not None and row.state == "mitigated" and row.revision == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"state": "fixed", "running_version": ""}, "Write the version you run now"),
        ({"state": "fixed", "running_version": "7.4\x005"}, "invisible control characters"),
        ({"state": "fixed", "running_version": "7" * 10_000}, "at most 60 characters"),
        ({"state": "mitigated", "note": ""}, "Write what you did"),
        ({"state": "not_affected", "note": "x" * 1001}, "under 1,000 characters"),
        ({"state": "maybe"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_in_words_and_changes_nothing(
    app: Flask, fortigate: tuple[FlaskClient, int], fields: dict[str, str], message: str
) -> None:
    client, item = fortigate
    response = settle(client, item, FORTIOS, **fields)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(KevTriage.id))) == 0
        assert db.session.get(InventoryItem, item).version == "7.4.1"


def test_other_tenants_gone_items_and_unmatched_flaws_change_nothing(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    client, item = fortigate
    other = app.test_client()
    login(other, world.operator_b)
    assert other.get(settle_page(item, FORTIOS)).status_code == 404
    html = other.get("/organization/products/").get_data(as_text=True)
    refused = other.post(
        settle_page(item, FORTIOS),
        data={
            "state": "fixed",
            "running_version": "9",
            "revision": "0",
            "csrf_token": csrf_token(html),
        },
    )
    assert refused.status_code == 404
    # A flaw of another product, and something that is not a CVE id.
    unmatched = client.get(settle_page(item, "CVE-2023-6448"))  # Unitronics
    assert unmatched.status_code == 404
    assert "not matched to this product any more" in unmatched.get_data(as_text=True)
    assert client.get(settle_page(item, "not-a-cve")).status_code == 404
    # The product removed: its matches are gone too.
    post_form(client, f"/organization/products/{item}/delete", {}, page="/organization/products/")
    assert client.get(settle_page(item, FORTIOS)).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(KevTriage.id))) == 0


def test_the_coordinator_reads_how_each_match_stands_and_cannot_change_it(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    client, item = fortigate
    settle(client, item, FORTIOS, state="mitigated", note="VPN portal closed to the internet")
    assessment_id = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = coordinator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert "Mitigated" in page and "VPN portal closed to the internet" in page
    assert settle_page(item, FORTIOS) not in page  # no way to change it
    assert coordinator.get(settle_page(item, FORTIOS)).status_code in (302, 403, 404)


def test_every_match_settled_the_board_summary_says_so_and_nothing_is_critical(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    client, item = fortigate
    page = client.get("/organization/products/").get_data(as_text=True)
    dates = re.findall(r'<option value="([\d-]+)">', page)
    assert dates
    post_form(
        client,
        f"/organization/products/{item}/flaws/older-fixed",
        {"before": max(dates), "running_version": "7.4.9", "next": ""},
        page="/organization/products/",
    )
    assessment_id = submit_assessment(app, world)
    from portal.assessments import state as assessment_state
    from portal.models import Assessment

    with app.test_request_context():
        plan = assessment_state.load(db.session.get(Assessment, assessment_id)).plan
        assert not [a for a in plan.actions if a.kev]
    pdf = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    assert re.search(
        r"\d+ known-exploited flaws on our products are settled, \d+ of them fixed", pdf
    )
    assert "None is open" in pdf
    assert utcnow()


def test_a_stale_form_never_rolls_the_version_back(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    """B opens an older flaw (the form shows 7.4.1); A marks another fixed in 7.4.5; B saves
    the pre-filled 7.4.1: refused, the version stays 7.4.5 and A's decision stands."""
    first, item = fortigate
    second = app.test_client()
    login(second, world.operator_a)
    html = second.get(settle_page(item, OLD_FORTIOS)).get_data(as_text=True)
    assert 'name="item_version" type="hidden" value="7.4.1"' in html
    assert settle(first, item, FORTIOS, state="fixed", running_version="7.4.5").status_code == 302
    late = second.post(
        settle_page(item, OLD_FORTIOS),
        data={
            "state": "fixed",
            "running_version": "7.4.1",
            "item_version": "7.4.1",
            "revision": "0",
            "next": "",
            "csrf_token": csrf_token(html),
        },
    )
    assert late.status_code == 409
    text = late.get_data(as_text=True)
    assert "version changed a moment ago" in text and "7.4.5" in text
    with app.app_context():
        assert db.session.get(InventoryItem, item).version == "7.4.5"
        rows = db.session.scalars(sa.select(KevTriage)).all()
        assert [(r.cve_id, r.state, r.item_version) for r in rows] == [(FORTIOS, "fixed", "7.4.5")]
    # Seen again with the new version, it is saved; a Mitigated keeps no version of its own.
    again = settle(
        second, item, OLD_FORTIOS, state="mitigated", note="Portal closed", item_version="7.4.5"
    )
    assert again.status_code == 302
    with app.app_context():
        row = db.session.scalar(sa.select(KevTriage).where(KevTriage.cve_id == OLD_FORTIOS))
        assert row is not None and row.running_version == "" and row.item_version == "7.4.5"


def test_odd_revisions_and_an_empty_bulk_change_nothing(
    app: Flask, world: World, fortigate: tuple[FlaskClient, int]
) -> None:
    client, item = fortigate
    odd = settle(client, item, FORTIOS, state="fixed", running_version="7.4.5", revision="²")
    assert odd.status_code == 409  # not a 500: an unreadable revision is a stale form
    page = client.get("/organization/products/").get_data(as_text=True)
    bulk = post_form(
        client,
        f"/organization/products/{item}/flaws/older-fixed",
        {"before": "2000-01-01", "running_version": "9.9.9", "next": ""},
        page="/organization/products/",
    )
    assert bulk.status_code == 302
    assert "No open flaw of this product was added on or before" in client.get(
        bulk.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InventoryItem, item).version == "7.4.1"
        assert db.session.scalar(sa.select(sa.func.count(KevTriage.id))) == 0
        audited = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action == "kev.triaged_bulk")
        ).all()
        assert audited == []
    assert page


def test_an_import_moves_an_item_whose_name_now_names_another_family(
    app: Flask, world: World
) -> None:
    """Rows matched before a family split keep no stale family: "Cisco IOS" saved on IOS XE
    (as the portal matched it before classic IOS had a family) moves at the next import."""
    load(app, small())
    client = app.test_client()
    login(client, world.operator_a)
    add_product(client, vendor="Cisco", product="IOS", version="15.2")
    item = item_id(app, "IOS")
    with app.app_context():
        row = db.session.get(InventoryItem, item)
        assert row is not None and row.family_key == "cisco-ios"
        row.family_key = "cisco-ios-xe"  # as an older release of the portal left it
        db.session.commit()
    load(app, small(version="2026.12.01"))
    with app.app_context():
        assert db.session.get(InventoryItem, item).family_key == "cisco-ios"
