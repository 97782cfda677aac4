"""What we run, as an operator uses it (no JavaScript): add by name, pick among suggestions,
keep an unknown product, bad input, hostile strings, edit, remove, export and import."""

from __future__ import annotations

import json
import re
from io import BytesIO

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import AuditEvent, InventoryItem
from tests.factories import World, submit_assessment
from tests.kev.catalogs import PRODUCTS, load, small
from tests.kev.catalogs import add_product as add
from tests.web import csrf_token, login, post_form


def items(app: Flask, organization_id: int) -> list[InventoryItem]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(InventoryItem).where(InventoryItem.organization_id == organization_id)
            )
        )


def test_a_product_named_as_people_name_it_is_matched(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    response = add(client, product="FortiGate", version="7.2.4", internet_facing="yes")
    assert response.status_code == 302
    (item,) = items(app, world.org_a)
    assert item.family_key == "fortinet-fortios" and item.version == "7.2.4"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flaws attackers are using in it" in page  # the flash
    soup = BeautifulSoup(page, "html.parser")
    section = soup.select_one("#kev-" + str(item.id))
    assert section is not None and "Fortinet FortiOS" in section.get_text()
    assert re.search(r"CVE-\d{4}-\d+", section.get_text())
    assert "Faces the internet" in section.get_text()
    assert "KEV lists products, not version ranges" in page  # the caveats, always
    assert "not proven safe" in page
    with app.app_context():
        assert db.session.scalar(
            sa.select(AuditEvent.id).where(AuditEvent.action == "inventory.added")
        )


def test_a_misspelt_name_offers_suggestions_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    first = add(client, category="remote_support", product="screenconect", version="23.9")
    assert first.status_code == 200  # a question back, not a save
    soup = BeautifulSoup(first.get_data(as_text=True), "html.parser")
    assert "We could not find “screenconect” by that name" in soup.get_text()
    options = {i["value"]: i for i in soup.select('input[name="choice"]')}
    assert "connectwise-screenconnect" in options and "none" in options
    assert soup.select_one("#version")["value"] == "23.9"  # nothing typed is lost
    assert items(app, world.org_a) == []
    picked = client.post(
        PRODUCTS,
        data={
            "csrf_token": csrf_token(first.get_data(as_text=True)),
            "category": "remote_support",
            "product": "screenconect",
            "version": "23.9",
            "internet_facing": "yes",
            "managed_by": "msp",
            "choice": "connectwise-screenconnect",
        },
    )
    assert picked.status_code == 302
    (item,) = items(app, world.org_a)
    assert (item.product, item.family_key, item.managed_by_msp) == (
        "screenconect",
        "connectwise-screenconnect",
        True,
    )


def test_an_unknown_product_is_kept_with_the_honest_caveat(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    response = add(client, category="other", vendor="Qwzx", product="Zzyzx Frobnicator")
    assert response.status_code == 302
    (item,) = items(app, world.org_a)
    assert item.family_key is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not prove it is safe" in page
    assert "matches no product in KEV" in page


def test_bad_input_gets_a_clear_message_and_loses_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    response = add(client, product="", vendor="Fortinet", version="7.4.1")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the product&#39;s name." in html or "Enter the product's name." in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#vendor")["value"] == "Fortinet"
    assert soup.select_one("#version")["value"] == "7.4.1"
    too_long = add(client, product="x" * 161)
    assert too_long.status_code == 400 and "at most 160 characters" in too_long.get_data(
        as_text=True
    )
    bad_category = add(client, product="FortiGate", category="weapons")
    assert bad_category.status_code == 400
    # A line break in a name could start a line of its own in the plain-text notice.
    forged = add(client, product="FortiGate", version="7.0\nYour coordinator says: all clear")
    assert forged.status_code == 400 and "invisible control characters" in forged.get_data(
        as_text=True
    )
    assert items(app, world.org_a) == []


HOSTILE = '<script>alert("x")</script> =HYPERLINK("http://evil") <img src=x onerror=alert(1)>'


def test_hostile_names_are_stored_as_typed_and_shown_as_text(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    response = add(
        client, category="other", vendor=HOSTILE[:100], product=HOSTILE, version="<b>1</b>"
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # suggestions offered: keep it as typed
        response = client.post(
            PRODUCTS,
            data={
                "csrf_token": csrf_token(response.get_data(as_text=True)),
                "category": "other",
                "vendor": HOSTILE[:100],
                "product": HOSTILE,
                "version": "<b>1</b>",
                "internet_facing": "no",
                "managed_by": "us",
                "choice": "none",
            },
        )
    (item,) = items(app, world.org_a)
    assert item.product == HOSTILE and item.version == "<b>1</b>"
    page = client.get(PRODUCTS).get_data(as_text=True)
    assert "<script>alert(" not in page and "&lt;script&gt;" in page
    assert "<b>1</b>" not in page


def test_edit_and_remove_a_product(app: Flask, client: FlaskClient, world: World) -> None:
    load(app, small())
    login(client, world.operator_a)
    add(client, product="FortiGate")
    (item,) = items(app, world.org_a)
    edit_page = client.get(f"{PRODUCTS}{item.id}/edit")
    assert edit_page.status_code == 200
    changed = client.post(
        f"{PRODUCTS}{item.id}/edit",
        data={
            "csrf_token": csrf_token(edit_page.get_data(as_text=True)),
            "category": "edge",
            "vendor": "",
            "product": "FortiGate",
            "version": "7.6.0",
            "internet_facing": "yes",
            "managed_by": "us",
        },
    )
    assert changed.status_code == 302
    (item,) = items(app, world.org_a)
    assert item.version == "7.6.0" and item.internet_facing
    assert item.family_key == "fortinet-fortios"
    removed = post_form(client, f"{PRODUCTS}{item.id}/delete", {}, page=PRODUCTS)
    assert removed.status_code == 302 and items(app, world.org_a) == []


def test_another_organization_cannot_touch_a_product(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    login(client, world.operator_a)
    add(client, product="FortiGate")
    (item,) = items(app, world.org_a)
    other = app.test_client()
    login(other, world.operator_b)
    assert other.get(f"{PRODUCTS}{item.id}/edit").status_code == 404
    token = csrf_token(other.get(PRODUCTS).get_data(as_text=True))
    assert other.post(f"{PRODUCTS}{item.id}/delete", data={"csrf_token": token}).status_code == 404
    assert "Nothing on your list yet" in other.get(PRODUCTS).get_data(as_text=True)
    assert len(items(app, world.org_a)) == 1


def test_the_list_travels_in_the_json_export_and_back(
    app: Flask, client: FlaskClient, world: World
) -> None:
    load(app, small())
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    add(client, product="FortiGate", version="7.2.4", internet_facing="yes")
    exported = client.get(f"/assessments/{assessment_id}/export.json").get_json()
    assert exported["inventory"] == [
        {
            "category": "edge",
            "vendor": "",
            "product": "FortiGate",
            "version": "7.2.4",
            "internet_facing": True,
            "managed_by_msp": False,
            "family_key": "fortinet-fortios",
        }
    ]
    # The list is emptied, then the file imported: the product comes back, matched.
    (item,) = items(app, world.org_a)
    post_form(client, f"{PRODUCTS}{item.id}/delete", {}, page=PRODUCTS)
    exported["inventory"].append({"category": "edge", "product": 7})  # bad: skipped
    # A misspelt name picked from suggestions keeps what was picked; a line break is refused.
    exported["inventory"].append(
        {"category": "control_systems", "product": "Vison PLC", "family_key": "unitronics-vision"}
    )
    exported["inventory"].append({"category": "edge", "product": "Forti\nGate"})
    page = client.get("/assessments/").get_data(as_text=True)
    response = client.post(
        "/assessments/import",
        data={
            "csrf_token": csrf_token(page),
            "file": (BytesIO(json.dumps(exported).encode()), "assessment.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 products added to your list" in flashed
    assert "2 products in the file could not be used" in flashed
    restored = {i.product: i for i in items(app, world.org_a)}
    assert set(restored) == {"FortiGate", "Vison PLC"}
    assert restored["FortiGate"].family_key == "fortinet-fortios"
    assert restored["FortiGate"].internet_facing
    assert restored["Vison PLC"].family_key == "unitronics-vision"
