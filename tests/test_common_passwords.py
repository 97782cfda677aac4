"""Passwords on the common list are refused wherever a person chooses one, in words that say
why (ASVS 5.0, 6.2.4: at least the top 3,000; the shipped list holds 19,640)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from portal.auth.passwords import ON_THE_COMMON_LIST, _common, is_common
from tests.factories import PASSWORD, REGISTRATION, World
from tests.web import login, post_form

COMMON = "qwertyqwerty"  # 12 characters: long enough, and on the list
SAID = "one of the 20,000 that attackers try first"


def test_the_shipped_list_is_big_enough_and_read_in_any_case() -> None:
    assert len(_common()) >= 3000
    assert is_common(COMMON) and is_common(" QwertyQwerty ") and is_common("123456")
    assert not is_common(PASSWORD) and not is_common("Pine Grove water plant 2026")
    assert SAID in ON_THE_COMMON_LIST


def test_registration_refuses_a_common_password_and_keeps_the_rest(
    app: Flask, client: FlaskClient
) -> None:
    response = post_form(
        client, "/register", {**REGISTRATION, "password": COMMON, "confirm": COMMON}
    )
    assert response.status_code in (200, 400)  # the form again, not a redirect
    page = response.get_data(as_text=True)
    assert SAID in page
    assert REGISTRATION["organization_name"] in page  # what was typed stays


def test_changing_to_a_common_password_is_refused(app: Flask, world: World) -> None:
    client = app.test_client()
    login(client, world.operator_a)
    response = post_form(
        client, "/account/password", {"current": PASSWORD, "password": COMMON, "confirm": COMMON}
    )
    assert response.status_code == 400 and SAID in response.get_data(as_text=True)
    assert login(app.test_client(), world.operator_a, COMMON).status_code == 200  # unchanged


def test_create_admin_refuses_a_common_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "root@example.org", "--name", "Root"],
        input=f"{COMMON}\n{COMMON}\n",
    )
    assert result.exit_code != 0 and SAID in result.output
