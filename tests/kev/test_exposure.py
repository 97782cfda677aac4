"""Coordinators' exposure view, notices to affected organizations, and what a new catalog
does: re-match every inventory and tell those with new matches."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import service
from portal.exposure import updates
from portal.extensions import db
from portal.mail import outbox, preferences
from portal.models import AuditEvent, InventoryItem, KevImport, OutboxMessage, User, utcnow
from tests.factories import PASSWORD, World
from tests.kev import catalogs
from tests.kev.catalogs import add_product, entry, load, small
from tests.smtp import SmtpServer
from tests.web import csrf_token, login

EXPOSURE = "/review/exposure/"


def _operator(client: FlaskClient, email: str) -> FlaskClient:
    login(client, email)
    return client


def _third_ohio_organization(app: Flask) -> str:
    with app.app_context():
        user = service.register_organization(
            service.NewOrganization(
                "Charlie Water CHARLIE-C", ["water"], "public", "micro", "OH", "Pine"
            ),
            "Op Charlie",
            "c@charlie.example.org",
            PASSWORD,
        )
        user.email_confirmed_at = utcnow()
        db.session.commit()
        return user.email


def test_a_coordinator_sees_the_exposure_of_their_jurisdiction_only(
    app: Flask, world: World
) -> None:
    load(app, small())
    add_product(
        _operator(app.test_client(), world.operator_a), product="FortiGate", internet_facing="yes"
    )
    add_product(
        _operator(app.test_client(), world.operator_b),
        category="remote_support",
        product="ScreenConnect",
    )
    x = _operator(app.test_client(), world.coordinator_x)
    page = x.get(EXPOSURE).get_data(as_text=True)
    assert "Fortinet FortiOS" in page and "ConnectWise ScreenConnect" not in page
    assert "Alpha Hospital SENTINEL-A" in page and "Bravo Water" not in page
    rows = list(
        csv.reader(
            io.StringIO(x.get(EXPOSURE + "affected.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    assert rows[0][:2] == ["organization_id", "organization"]
    assert [r[1] for r in rows[1:]] == ["Alpha Hospital SENTINEL-A"]
    assert rows[1][5] == "yes"  # internet-facing
    y = _operator(app.test_client(), world.coordinator_y)
    other = y.get(EXPOSURE).get_data(as_text=True)
    assert "ConnectWise ScreenConnect" in other and "Fortinet FortiOS" not in other
    assert "Alpha Hospital" not in other
    # A product key from another jurisdiction shows nobody.
    filtered = y.get(EXPOSURE + "?product=fortinet-fortios").get_data(as_text=True)
    assert "Alpha Hospital" not in filtered
    admin = _operator(app.test_client(), world.admin)
    everything = admin.get(EXPOSURE).get_data(as_text=True)
    assert "Fortinet FortiOS" in everything and "ConnectWise ScreenConnect" in everything


def test_notify_writes_to_each_organization_about_its_own_products(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    load(app, small())
    charlie = _third_ohio_organization(app)
    add_product(
        _operator(app.test_client(), world.operator_a), product="FortiGate", version="7.0.1"
    )
    add_product(
        _operator(app.test_client(), charlie), vendor="Fortinet", product="FortiOS", version="6.4.9"
    )
    add_product(
        _operator(app.test_client(), charlie), category="email", product="Zimbra", version="9.0"
    )
    x = _operator(app.test_client(), world.coordinator_x)
    confirm = x.get(EXPOSURE + "notify?product=fortinet-fortios")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "2 organizations" in text
    assert "Alpha Hospital SENTINEL-A" in text and "Charlie Water CHARLIE-C" in text
    sent = x.post(
        EXPOSURE + "notify",
        data={"csrf_token": csrf_token(text), "product": "fortinet-fortios"},
    )
    sent.close()  # the sender runs once the response is closed
    outbox.wait_for_deliveries()
    assert sent.status_code == 302
    messages = mail_server.wait_for(2)
    by_to = {m.envelope_to[0]: m for m in messages}
    assert set(by_to) == {world.operator_a, charlie}
    alpha, charlie_mail = by_to[world.operator_a].text, by_to[charlie].text
    assert "FortiGate 7.0.1" in alpha and "6.4.9" not in alpha and "Charlie" not in alpha
    assert "Fortinet FortiOS 6.4.9" in charlie_mail and "7.0.1" not in charlie_mail
    assert "Zimbra" not in charlie_mail  # only the product the coordinator asked about
    assert "Xena Coord" in alpha and "compare your version" in alpha
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "exposure.notified")
        )
        assert event is not None and event.details["organizations"] == 2
    # Again within 24 hours: refused, nothing sent.
    again = x.post(
        EXPOSURE + "notify",
        data={"csrf_token": csrf_token(text), "product": "fortinet-fortios"},
        follow_redirects=True,
    )
    assert "in the last 24 hours" in again.get_data(as_text=True)
    assert len(mail_server.received) == 2
    # Another jurisdiction's coordinator reaches nobody in Ohio.
    y = _operator(app.test_client(), world.coordinator_y)
    page = y.get(EXPOSURE + "notify?product=fortinet-fortios").get_data(as_text=True)
    assert "No organization in your jurisdiction runs it" in page


def test_a_new_catalog_rematches_everyone_and_tells_those_with_new_matches(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    load(app, small())
    alpha = _operator(app.test_client(), world.operator_a)
    # Close to "Windows Server", so the form offers suggestions; the person keeps it as typed.
    add_product(
        alpha,
        category="other",
        vendor="Acme",
        product="Widget Server",
        version="2.1",
        choice="none",
    )
    add_product(alpha, product="FortiGate", version="7.0.1", internet_facing="yes")
    add_product(
        _operator(app.test_client(), world.operator_b),
        category="remote_support",
        product="ScreenConnect",
    )
    with app.app_context():
        acme = db.session.scalar(
            sa.select(InventoryItem).where(InventoryItem.product == "Widget Server")
        )
        assert acme is not None and acme.family_key is None  # nothing by that name yet
    second = load(
        app,
        small(
            version="2026.08.22",
            add=[
                entry("CVE-2026-99101", "Acme", "Widget Server", ransomware=True),
                entry("CVE-2026-99102", "Fortinet", "FortiOS"),
            ],
        ),
    )
    assert second.added == ["CVE-2026-99101", "CVE-2026-99102"]
    assert second.resolved_items == 1 and second.organizations_notified == 1
    with app.app_context():
        acme = db.session.scalar(
            sa.select(InventoryItem).where(InventoryItem.product == "Widget Server")
        )
        assert acme is not None and acme.family_key is not None
    messages = mail_server.wait_for(1)
    assert [m.envelope_to for m in messages] == [[world.operator_a]]  # Bravo has nothing new
    text = messages[0].text
    assert "CVE-2026-99101" in text and "CVE-2026-99102" in text
    assert "used by ransomware gangs" in text and "facing the internet" in text
    # The coordinator sees what the new catalog brought to their jurisdiction.
    x = _operator(app.test_client(), world.coordinator_x)
    page = x.get(EXPOSURE).get_data(as_text=True)
    assert "New since the previous catalog" in page
    assert "CVE-2026-99101" in page and "CVE-2026-99102" in page


def test_an_operator_who_turned_these_notices_off_is_not_written_to(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    load(app, small())
    add_product(_operator(app.test_client(), world.operator_a), product="FortiGate")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        preferences.choose(user, "exploited", "off")
        db.session.commit()
    load(app, small(version="2026.08.22", add=[entry("CVE-2026-99102", "Fortinet", "FortiOS")]))
    assert mail_server.wait_for(1, seconds=1) == []


def test_an_item_kept_as_typed_is_matched_once_a_catalog_lists_it_by_its_vendor(
    app: Flask, world: World
) -> None:
    """The SQL re-match looks names up as the form does — "vendor product" — so "AnyDesk"
    "AnyDesk" finds the new AnyDesk entry, and a bare product name never finds another
    vendor's product ("Widget Server" typed with no vendor stays unmatched)."""
    load(app, small())
    alpha = _operator(app.test_client(), world.operator_a)
    add_product(
        alpha, category="remote_support", vendor="AnyDesk", product="AnyDesk", choice="none"
    )
    add_product(alpha, category="other", vendor="", product="Widget Server", choice="none")
    report = load(
        app, small(version="2026.08.22", add=[entry("CVE-2026-99103", "AnyDesk", "AnyDesk")])
    )
    assert report.resolved_items == 1
    with app.app_context():
        items = {
            i.product: i.family_key for i in db.session.scalars(sa.select(InventoryItem)).all()
        }
    assert items == {"AnyDesk": "kev:anydesk|anydesk", "Widget Server": None}


def test_notices_are_written_in_chunks_and_a_run_that_stopped_is_finished_once(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any, monkeypatch: Any
) -> None:
    """The import commits first; notices follow a chunk of organizations per transaction. A run
    that dies after the first chunk leaves the rest to `flask kev notify`: nobody is told twice."""
    load(app, small())
    add_product(_operator(app.test_client(), world.operator_a), product="FortiGate")
    add_product(_operator(app.test_client(), world.operator_b), product="FortiGate")
    monkeypatch.setattr(updates, "NOTICE_CHUNK", 1)
    commits = []

    def commit_then_die_after_the_first_chunk() -> None:
        db.session.commit()
        commits.append(1)
        if len(commits) == 2:  # 1: the import itself; 2: the first chunk of notices
            raise RuntimeError("the process was killed")

    with app.app_context():
        raw = catalogs.raw(
            small(version="2026.08.22", add=[entry("CVE-2026-99102", "Fortinet", "FortiOS")])
        )
        try:
            updates.import_and_notify(raw, "test", commit=commit_then_die_after_the_first_chunk)
        except RuntimeError:
            db.session.rollback()
        assert updates.pending() != []
        told = db.session.scalars(sa.select(OutboxMessage.to_address)).all()
        assert told == [world.operator_a]  # the first chunk, committed before the crash
    result = runner.invoke(args=["kev", "notify"])
    assert result.exit_code == 0, result.output
    assert "1 organization(s) told" in result.output
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage.to_address).where(OutboxMessage.kind == "kev_match")
        ).all()
        assert sorted(rows) == sorted([world.operator_a, world.operator_b])
        assert updates.pending() == []
        record = db.session.scalars(sa.select(KevImport).order_by(KevImport.id.desc())).first()
        assert record is not None and record.organizations_notified == 2
    assert "Every import's notices are written." in runner.invoke(args=["kev", "notify"]).output
