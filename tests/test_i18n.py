"""Choosing a language (#35): the address, the account, the organization, a cookie, the
browser, the default — in that order; a code that is not offered, anywhere, is passed over.
The switcher is a form (the choice is stored: CSRF), with the page in the other language
announced by ``hreflang``; a text without a translation shows in English and is logged once."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext

from portal import i18n
from portal.config import ConfigError, from_environment
from portal.extensions import db
from portal.models import Organization, User
from tests.factories import World
from tests.web import csrf_token, login


def _page(client: FlaskClient, url: str = "/", **headers: str) -> BeautifulSoup:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _language(page: BeautifulSoup) -> str:
    html = page.find("html")
    assert html is not None
    return str(html["lang"])


def test_the_address_chooses_and_a_code_not_offered_is_the_default(client: FlaskClient) -> None:
    page = _page(client, "/?lang=es")
    assert _language(page) == "es"
    assert page.select_one(".usa-skipnav").get_text() == "Ir al contenido principal"
    for code in ("xx", "", "e", "es" * 30, "../../etc", "EN-us"):
        assert _language(_page(client, f"/?lang={code}")) == "en", code


def test_the_browser_chooses_on_a_first_visit(client: FlaskClient) -> None:
    assert _language(_page(client, **{"Accept-Language": "es-PR,es;q=0.9,en;q=0.5"})) == "es"
    assert _language(_page(client, **{"Accept-Language": "fr-CA,fr;q=0.9"})) == "en"
    assert _language(_page(client, **{"Accept-Language": ";;q=x,,\u0000"})) == "en"


def test_the_switcher_is_a_form_remembered_in_a_cookie(client: FlaskClient) -> None:
    page = _page(client, "/login?next=/assess/")
    alternate = page.select_one('link[rel=alternate][hreflang="es"]')
    assert alternate is not None and "lang=es" in alternate["href"]
    form = page.select_one('form[action="/language"]')
    assert form is not None
    assert form.select_one("input[name=language]")["value"] == "es"
    button = form.select_one("input[type=submit]")
    assert button["value"] == "Español" and button["lang"] == "es"
    response = client.post(
        "/language",
        data={
            "csrf_token": csrf_token(str(page)),
            "language": "es",
            "next": "/login?next=/assess/",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/assess/"
    cookie = client.get_cookie(i18n.COOKIE)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    assert _language(_page(client, "/")) == "es"
    # The switcher now offers English, named in English.
    again = _page(client, "/")
    assert again.select_one('form[action="/language"] input[name=language]')["value"] == "en"


def test_the_switcher_goes_back_only_to_this_site_and_refuses_no_code(
    client: FlaskClient,
) -> None:
    token = csrf_token(client.get("/").get_data(as_text=True))
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "",
        "/\\evil.example",
        "/\t\\evil.example",
    ):
        response = client.post(
            "/language", data={"csrf_token": token, "language": "es", "next": target}
        )
        assert response.headers["Location"] == "/", target
    response = client.post("/language", data={"csrf_token": token, "language": "klingon"})
    assert response.status_code == 302
    assert client.get_cookie(i18n.COOKIE).value == "en"
    # A bad cookie is passed over too.
    client.set_cookie(i18n.COOKIE, "zz")
    assert _language(_page(client, "/")) == "en"


def test_the_switcher_needs_the_csrf_token(client: FlaskClient) -> None:
    assert client.post("/language", data={"language": "es"}).status_code == 400


def test_the_choice_is_kept_on_the_account_and_beats_the_browser(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "language": "es", "next": "/"})
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None and user.language == "es"
    client.delete_cookie(i18n.COOKIE)
    assert _language(_page(client, "/", **{"Accept-Language": "en-US"})) == "es"
    # ?lang= reads one page in the other language without changing the choice.
    assert _language(_page(client, "/?lang=en")) == "en"
    assert _language(_page(client, "/")) == "es"


def test_a_member_who_chose_nothing_reads_the_organization_s_language(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        organization = db.session.get_one(Organization, world.org_a)
        organization.language = "es"
        db.session.commit()
    login(client, world.operator_a)
    # A browser that names no language the portal offers: the organization's.
    assert _language(_page(client, "/", **{"Accept-Language": "fr"})) == "es"
    # One that does: the browser's (the organization's decides reports and mail).
    assert _language(_page(client, "/", **{"Accept-Language": "en-US"})) == "en"


def test_the_switcher_undoes_a_page_read_with_lang(client: FlaskClient) -> None:
    token = csrf_token(client.get("/login?lang=es").get_data(as_text=True))
    response = client.post(
        "/language", data={"csrf_token": token, "language": "en", "next": "/login?lang=es&x=1"}
    )
    assert response.headers["Location"] == "/login?x=1"
    assert _language(_page(client, response.headers["Location"])) == "en"


def test_one_language_offered_shows_no_switcher(app: Flask, client: FlaskClient) -> None:
    app.config["PORTAL_LANGUAGES"] = ("en",)
    try:
        page = _page(client, "/?lang=es", **{"Accept-Language": "es"})
        assert _language(page) == "en"
        assert page.select_one('form[action="/language"]') is None
        assert page.select_one("link[hreflang]") is None
    finally:
        app.config["PORTAL_LANGUAGES"] = ("en", "es")


def test_a_text_without_a_translation_is_english_and_logged_once(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with app.test_request_context("/?lang=es"), caplog.at_level(logging.WARNING):
        assert gettext("Skip to main content") == "Ir al contenido principal"
        missing = "A sentence no catalog has (test_i18n)"
        assert gettext(missing) == missing
        assert gettext(missing) == missing
    logged = [r for r in caplog.records if "A sentence no catalog has" in r.getMessage()]
    assert len(logged) == 1
    assert "no es translation" in logged[0].getMessage()


def test_portal_languages_must_be_languages_the_portal_speaks() -> None:
    assert from_environment({"PORTAL_LANGUAGES": "es, en"})["PORTAL_LANGUAGES"] == ("es", "en")
    for bad in ("fr", "en,xx", ","):
        with pytest.raises(ConfigError, match="PORTAL_LANGUAGES"):
            from_environment({"PORTAL_LANGUAGES": bad})


def test_names_in_any_script_stay_intact_in_both_languages(
    app: Flask, client: FlaskClient, world: World
) -> None:
    name = "مستشفى الأمل — Hospital Esperanza 希望"
    with app.app_context():
        db.session.get_one(Organization, world.org_a).name = name
        db.session.commit()
    login(client, world.operator_a)
    for code in ("en", "es"):
        page = _page(client, f"/?lang={code}")
        assert name in page.select_one(".portal-account").get_text()


def test_a_page_varies_with_the_browser_s_language(client: FlaskClient) -> None:
    vary = client.get("/login").headers.get("Vary", "")
    assert "Accept-Language" in vary and "Cookie" in vary


def test_a_version_published_before_its_translation_gets_it(app: Flask) -> None:
    """The row was written before the Spanish existed (same English, same hash): the next
    publish brings the words, so an assessment answered on it reads in Spanish later too."""
    from portal import questionnaire_versions
    from portal.models import QuestionnaireVersion

    with app.app_context():
        documents = app.extensions["portal.questionnaire"][1]
        english_only = {name: doc for name, doc in documents.items() if "/" not in name}
        current = questionnaire_versions.current("en")
        db.session.execute(sa.update(QuestionnaireVersion).values(is_current=False))
        row = QuestionnaireVersion(
            label=current.version,
            content_hash=current.content_hash,
            definition=english_only,
            is_current=True,
        )
        db.session.add(row)
        db.session.commit()
        questionnaire_versions._translations_checked.clear()  # as in a freshly started process
        again = questionnaire_versions.publish_current()
        db.session.commit()
        assert again.id == row.id
        assert "es/core.yaml" in again.definition
