"""Pages go out gzip-compressed when the browser takes it (#34: the results page was 54 KB
uncompressed through nginx) — but only to requests the person made on the portal
(Sec-Fetch-Site same-origin or none), and never a page that shows a one-time secret: BREACH
reads secrets from compressed lengths (portal/page_compression.py)."""

from __future__ import annotations

import gzip
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Jurisdiction
from tests.factories import World, submit_assessment
from tests.web import login, post_form

GZIP = {"Accept-Encoding": "gzip, deflate, br", "Sec-Fetch-Site": "same-origin"}


def test_a_page_is_compressed_and_reads_the_same(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    url = f"/assessments/{assessment_id}/results"
    plain = client.get(url)
    packed = client.get(url, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert (
        "Accept-Encoding" in packed.headers["Vary"] and "Sec-Fetch-Site" in packed.headers["Vary"]
    )
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    body = gzip.decompress(packed.get_data())
    assert len(body) > 3 * len(packed.get_data())  # 51 KB to 12.7 KB here
    # The same page apart from the CSRF token and the time it was made.
    assert (
        body.decode().split("<main")[1][:2000]
        == plain.get_data(as_text=True).split("<main")[1][:2000]
    )
    refused = client.get(url, headers={**GZIP, "Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    # What another site makes the browser ask for, or a client that does not say: plain.
    for site in ("cross-site", "same-site", None):
        asked = {**GZIP, "Sec-Fetch-Site": site} if site else {"Accept-Encoding": "gzip"}
        assert "Content-Encoding" not in client.get(url, headers=asked).headers, site
    bookmark = client.get(url, headers={**GZIP, "Sec-Fetch-Site": "none"})
    assert bookmark.headers["Content-Encoding"] == "gzip"
    export = client.get(f"/assessments/{assessment_id}/export.json", headers=GZIP)
    assert "Content-Encoding" not in export.headers  # a download, not a page


def test_a_page_that_shows_a_secret_is_never_compressed(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    setup = client.get("/account/second-factor/app", headers=GZIP)
    assert setup.status_code == 200 and "portal-secret" in setup.get_data(as_text=True)
    assert "Content-Encoding" not in setup.headers
    account = client.get("/account/", headers=GZIP)  # the same person's next page: compressed
    assert account.headers.get("Content-Encoding") == "gzip"


def test_a_choose_password_link_shown_once_goes_out_uncompressed(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        ohio = db.session.scalar(sa.select(Jurisdiction.id).where(Jurisdiction.state == "OH"))
    login(client, world.admin)
    created = post_form(
        client,
        "/admin/coordinators/new",
        {"full_name": "Casey Coordinator", "email": "casey@state.example.org",
         "jurisdictions": str(ohio)},
        page="/admin/coordinators/new",
    )  # fmt: skip
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    shown = client.get(created.headers["Location"], headers=GZIP)
    assert "/password/set/" in shown.get_data(as_text=True)
    assert "Content-Encoding" not in shown.headers
    again = client.get(created.headers["Location"], headers=GZIP)  # the link is gone: packed
    assert "/password/set/" not in gzip.decompress(again.get_data()).decode()
    assert again.headers["Content-Encoding"] == "gzip"
