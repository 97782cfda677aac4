"""Regression tests for the hostile requests an outside-in test of the running portal found
(issue 21). Each failed before its fix: a 500, a stored megabyte, a leaked draft, a cached
private page or a session token that outlived a password change."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import throttle
from portal.extensions import db
from portal.models import Assessment, LoginAttempt, ToolRequest, User, UserSession, utcnow
from portal.toolrequests import service as requests_service
from tests.factories import PASSWORD, REGISTRATION, World, submit_assessment
from tests.web import Wizard, autosave, csrf_token, login, post_form, start


def assessment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Assessment.id))) or 0


# --- JSON and numbers: bounded before parsing, a 400 in words ------------------------------------


def _import(client: FlaskClient, body: bytes) -> Any:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    html = client.get("/assessments/").get_data(as_text=True)
    # Encoded in memory: the test client spools a large multipart body to a temporary file it
    # never closes.
    boundary, payload = encode_multipart(
        {
            "csrf_token": csrf_token(html),
            "file": FileStorage(io.BytesIO(body), "export.json", content_type="application/json"),
        }
    )
    return client.post(
        "/assessments/import",
        data=payload,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.parametrize(
    ("label", "body", "message"),
    [
        ("100,000 nested objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested more"),
        (
            "5,000 nested arrays in answers",
            b'{"format": "readiness-portal.assessment/1", "answers": {"core.mfa": '
            + b"[" * 5000
            + b"]" * 5000
            + b"}}",
            "nested more",
        ),
        ("an integer of 5,000 digits", b'{"organization": {"id": ' + b"9" * 5000 + b"}}", "number"),
        ("infinity", b'{"organization": {"id": 1e999}}', "number"),
        ("NaN", b'{"organization": {"id": NaN}}', "NaN"),
    ],
)
def test_a_hostile_import_file_gets_a_clear_400_and_changes_nothing(
    app: Flask, client: FlaskClient, world: World, label: str, body: bytes, message: str
) -> None:
    login(client, world.operator_a)
    response = _import(client, body)
    assert response.status_code == 400, label
    page = response.get_data(as_text=True)
    assert message in page, label
    assert "Choose a file exported from the portal" in page
    assert assessment_count(app) == 0


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("a body nested 100,000 deep", "[" * 100_000 + "]" * 100_000),
        (
            "a value nested 5,000 deep",
            '{"question_id": "core.security_lead", "value": '
            + "[" * 5000
            + "]" * 5000
            + ', "note": "", "revision": 0}',
        ),
        (
            "a revision of 5,000 digits",
            '{"question_id": "core.security_lead", "revision": ' + "7" * 5000 + "}",
        ),
    ],
)
def test_a_hostile_autosave_gets_a_400_in_words_and_writes_nothing(
    app: Flask, client: FlaskClient, world: World, label: str, body: str
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    response = client.post(
        f"/assessments/{wizard.assessment_id}/answers",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(page.html)},
    )
    assert response.status_code == 400, label
    assert response.json is not None and response.json["error"] == "invalid", label
    assert "could not be read" in response.json["message"]
    with app.app_context():
        from portal.models import Answer

        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    # The ordinary save still works afterwards.
    ok = autosave(client, wizard.assessment_id, page.html, question_id="core.security_lead",
                  value="yes", note="", revision=0)  # fmt: skip
    assert ok.status_code == 200


def _cursor(value: Any) -> str:
    return _raw_cursor(json.dumps(value))


def _decoded(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        return ""


def _raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/review/", "/review/tool-requests"])
def test_a_deeply_nested_or_oversized_page_cursor_answers_400(
    app: Flask, world: World, path: str
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    deep = base64.urlsafe_b64encode(b"[" * 1400 + b"]" * 1400).decode()
    cursors = [
        deep,
        _raw_cursor('["requests", "2026-01-01T00:00:00+00:00", ' + "9" * 5000 + "]"),
        "A" * 100_000,
        _raw_cursor('["newest", 1e999, 1]'),
        # Found in review: a score past SQLite's integers, a time before the first instant.
        _cursor(["score_low", 10**19, 5]),
        _cursor(["newest", "0001-01-01T00:00:00+01:00", 5]),
        _cursor(["requests", "0001-01-01T00:00:00+01:00", 5]),
    ]
    for after in cursors:
        # The queue reads a cursor made for its sort order: ask in that order.
        sort = "score_low" if "score_low" in _decoded(after) else "newest"
        response = coordinator.get(path, query_string={"after": after, "sort": sort})
        assert response.status_code == 400, (path, after[:30])
        assert "not valid any more" in response.get_data(as_text=True)


# --- the expired-login store ------------------------------------------------------------------


def _revoke_logins(app: Flask) -> None:
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(revoked_at=utcnow()))
        db.session.commit()


def pending_rows(app: Flask) -> list[Any]:
    from portal.models import PendingSave

    with app.app_context():
        return list(db.session.scalars(sa.select(PendingSave).order_by(PendingSave.id)))


def _expired_post(client: FlaskClient, wizard: Wizard, **changes: str) -> Any:
    page = wizard.page(0)
    data = page.fields() | {"csrf_token": csrf_token(page.html), "action": "next"} | changes
    return page, data


def test_a_post_from_another_site_is_not_kept(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard, n__core__security_lead="PLANTED BY ANOTHER SITE")
    _revoke_logins(app)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.localhost"},
        {"Origin": "null"},
    ):
        response = client.post(page.url, data=data, headers=headers)
        assert response.status_code == 302
        assert "restore" not in response.headers["Location"], headers
    assert pending_rows(app) == []
    # A signed-in person with a stale token, posting from another site: nothing kept either.
    login(client, world.operator_a)
    stale = data | {"csrf_token": "stale"}
    response = client.post(page.url, data=stale, headers={"Origin": "https://evil.example"})
    assert "restore" not in response.headers["Location"]
    assert pending_rows(app) == []
    # From the portal's own page it is kept.
    same = client.post(
        page.url,
        data=stale,
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert "restore=" in same.headers["Location"]
    assert len(pending_rows(app)) == 1


def test_only_the_steps_fields_within_a_saves_limits_are_kept(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard)
    _revoke_logins(app)
    # 1.9 MB across fields no page has: dropped; the step's own fields kept.
    padding = {f"a__junk__{i}": "x" * 19_000 for i in range(100)}
    response = client.post(page.url, data=data | padding)
    assert "restore" in response.headers["Location"]
    (kept,) = pending_rows(app)
    assert set(kept.payload) <= set(data)
    assert len(json.dumps(kept.payload)) < 20_000
    # A value no page offers, a note of 10,000 characters or with a NUL: that field is
    # dropped, the rest of the page kept.
    for bad in (
        {"a__core__security_lead": "hacked"},
        {"n__core__security_lead": "x" * 10_000},
        {"n__core__security_lead": "nul\x00"},
    ):
        response = client.post(page.url, data=data | bad)
        assert "restore" in response.headers["Location"], bad
        newest = pending_rows(app)[-1].payload
        assert newest.get(next(iter(bad))) != next(iter(bad.values())), bad
        assert "r__core__security_lead" in newest


def test_a_note_too_long_to_save_comes_back_with_its_message_not_lost(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Found in review: one field a save refuses used to lose the whole page after a login
    expired. A note up to twice the limit is kept, and the page says it is too long."""
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard)
    long_note = "word " * 500  # 2,500 characters
    response = client.post(
        page.url, data=data | {"n__core__security_lead": long_note, "csrf_token": "stale"}
    )
    restored = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unsaved changes from" in restored
    assert long_note.strip() in restored
    assert "A note can be at most 2000 characters" in restored


def test_a_line_break_counts_as_one_character_as_the_browser_counted_it(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Browsers count a line break as one character against maxlength=2000 but send CR LF."""
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    note = "\r\n".join(["line of text"] * 153)  # 1,988 characters as typed, 2,140 as sent
    assert len(note.replace("\r\n", "\n")) <= 2000 < len(note)
    data = page.fields() | {"csrf_token": csrf_token(page.html), "action": "stay"}
    response = client.post(page.url, data=data | {"n__core__security_lead": note})
    assert response.status_code == 302
    with app.app_context():
        from portal.models import Answer

        stored = db.session.scalar(
            sa.select(Answer.note).where(Answer.question_id == "core.security_lead")
        )
    assert stored == note.replace("\r\n", "\n")


def test_a_restore_token_only_restores_on_the_step_it_was_kept_for(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard, n__core__security_lead="kept on step 0")
    response = client.post(page.url, data=data | {"csrf_token": "stale"})
    restore_url = response.headers["Location"]
    other_step = restore_url.replace("/steps/0", "/steps/1")
    assert "Unsaved changes" not in client.get(other_step).get_data(as_text=True)
    # Saving step 1 with that token does not throw away what was kept for step 0.
    step_one = wizard.page(1)
    client.post(
        step_one.url,
        data=step_one.fields()
        | {
            "csrf_token": csrf_token(step_one.html),
            "action": "stay",
            "restore_token": restore_url.split("restore=")[1],
        },
    )
    assert "kept on step 0" in client.get(restore_url).get_data(as_text=True)


def test_a_same_origin_post_behind_a_proxy_that_changes_the_host_is_kept(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Found in review: behind a proxy, the Host the app sees may differ from the browser's
    origin; Sec-Fetch-Site (which no page can set) decides when the browser sends it."""
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard)
    response = client.post(
        page.url,
        data=data | {"csrf_token": "stale"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "https://portal.example.gov:8443"},
    )
    assert "restore=" in response.headers["Location"]


def test_a_stale_token_whose_post_cannot_be_kept_says_so(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard)
    response = client.post(
        page.url, data=data | {"csrf_token": "stale"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 302
    assert "could not be kept" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_each_person_keeps_only_their_newest_few_pending_saves(
    app: Flask, client: FlaskClient, world: World
) -> None:
    from portal.assessments import pending

    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard)
    _revoke_logins(app)
    for number in range(10):
        client.post(page.url, data=data | {"n__core__security_lead": f"try {number}"})
    rows = pending_rows(app)
    assert len(rows) == pending.MAX_PER_USER
    assert [r.payload["n__core__security_lead"] for r in rows] == ["try 7", "try 8", "try 9"]


def test_an_expired_pending_save_is_not_restored(
    app: Flask, client: FlaskClient, world: World
) -> None:
    from portal.assessments import pending
    from portal.models import PendingSave

    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page, data = _expired_post(client, wizard, n__core__security_lead="old words")
    response = client.post(page.url, data=data | {"csrf_token": "stale"})
    restore_url = response.headers["Location"]
    assert "Unsaved changes from" in client.get(restore_url).get_data(as_text=True)
    with app.app_context():
        db.session.execute(
            sa.update(PendingSave).values(
                created_at=utcnow() - pending.LIFETIME - timedelta(minutes=1)
            )
        )
        db.session.commit()
    html = client.get(restore_url).get_data(as_text=True)
    assert "Unsaved changes" not in html
    assert "old words" not in html


def test_restored_answers_are_shown_as_unsaved_changes_beside_what_is_saved(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    assert (
        wizard.answer(0, notes={"core.security_lead": "saved words"}, action="stay").status_code
        == 302
    )
    page, data = _expired_post(client, wizard, n__core__security_lead="typed while signed out")
    response = client.post(page.url, data=data | {"csrf_token": "stale"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unsaved changes from" in html
    assert "check them before saving" in html
    assert 'href="#q-core.security_lead"' in html  # the changed question, linked
    assert "portal-question__restored" in html
    assert "saved words" in html  # what is saved now, shown beside it
    assert "typed while signed out" in html
    # Nothing was saved by restoring.
    with app.app_context():
        from portal.models import Answer

        note = db.session.scalar(
            sa.select(Answer.note).where(Answer.question_id == "core.security_lead")
        )
    assert note == "saved words"


# --- abuse limits -------------------------------------------------------------------------------


def _request_services(client: FlaskClient, assessment_id: int, tools: list[str]) -> Any:
    url = f"/assessments/{assessment_id}/tool-requests/new"
    return post_form(
        client,
        url,
        {
            "tools": tools,
            "contact_name": "Pat",
            "contact_email": "pat@alpha.example.org",
            "justification": "We need help.",
        },
    )


def _eligible_tools(client: FlaskClient, assessment_id: int) -> list[str]:
    import re

    html = client.get(f"/assessments/{assessment_id}/tool-requests/new").get_data(as_text=True)
    return re.findall(r'<input[^>]*name="tools"[^>]*value="([a-z0-9_]+)"', html)


def test_a_service_with_an_open_request_cannot_be_requested_again(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    tools = _eligible_tools(operator, assessment_id)
    assert len(tools) >= 2
    assert _request_services(operator, assessment_id, [tools[0]]).status_code == 302
    # Listed as already requested, no longer offered.
    assert tools[0] not in _eligible_tools(operator, assessment_id)
    assert "Already requested and still open" in operator.get(
        f"/assessments/{assessment_id}/tool-requests/new"
    ).get_data(as_text=True)
    # Posted anyway (an old tab, a script): refused, nothing added.
    again = _request_services(operator, assessment_id, [tools[0], tools[1]])
    assert again.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ToolRequest.id))) == 1
        # Once decided, it can be asked for again.
        db.session.execute(sa.update(ToolRequest).values(status="denied"))
        db.session.commit()
    assert tools[0] in _eligible_tools(operator, assessment_id)


def test_an_organization_sends_a_limited_number_of_requests_a_day(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    tool = _eligible_tools(operator, assessment_id)[0]
    for _ in range(requests_service.MAX_NEW_PER_DAY):
        assert _request_services(operator, assessment_id, [tool]).status_code == 302
        with app.app_context():
            db.session.execute(sa.update(ToolRequest).values(status="denied"))
            db.session.commit()
    refused = _request_services(operator, assessment_id, [tool])
    assert refused.status_code == 400
    assert "in the last 24 hours" in refused.get_data(as_text=True)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(ToolRequest.id)))
        assert count == requests_service.MAX_NEW_PER_DAY
        db.session.execute(sa.update(ToolRequest).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    assert _request_services(operator, assessment_id, [tool]).status_code == 302


def test_registration_is_throttled_per_address_before_the_password_hash(
    app: Flask, client: FlaskClient
) -> None:
    limit = throttle.REGISTRATION.per_address
    for index in range(limit):
        form = REGISTRATION | {
            "email": f"person{index}@example.org",
            "organization_name": f"Place {index}",
        }
        response = post_form(app.test_client(), "/register", form)
        assert response.status_code == 302, index
    blocked = post_form(
        app.test_client(), "/register", REGISTRATION | {"email": "one.more@example.org"}
    )
    assert blocked.status_code == 429
    assert "Too many registrations" in blocked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == limit
        purposes = set(db.session.scalars(sa.select(LoginAttempt.purpose)))
    assert purposes == {"register"}
    # Sign-in counts are separate: registering did not use up anyone's sign-in attempts.
    assert login(client, "person0@example.org").status_code == 302


def test_probing_which_emails_have_accounts_is_throttled(app: Flask) -> None:
    taken = REGISTRATION | {"organization_name": "Elsewhere"}
    assert post_form(app.test_client(), "/register", REGISTRATION).status_code == 302
    statuses = [
        post_form(app.test_client(), "/register", taken).status_code
        for _ in range(throttle.REGISTRATION.per_account + 1)
    ]
    assert statuses[-1] == 429, statuses


# --- private pages are never cached ------------------------------------------------------------


def test_every_signed_in_response_says_no_store(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    for path in (
        "/",
        "/assessments/",
        f"/assessments/{assessment_id}/results",
        f"/assessments/{assessment_id}/export.json",
        "/organization/",
        "/account/password",
        "/no/such/page",
    ):
        response = operator.get(path)
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    for path in ("/review/", "/review/dashboard", f"/review/assessments/{assessment_id}"):
        assert "no-store" in coordinator.get(path).headers.get("Cache-Control", ""), path
    static = operator.get("/static/css/portal.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


# --- sign-in and password change ----------------------------------------------------------------


def test_a_nul_byte_in_the_sign_in_email_is_a_form_error(app: Flask, client: FlaskClient) -> None:
    for email in ("pat\x00@example.org", "\x00", "pat@example.org\x07"):
        response = login(client, email)
        assert response.status_code == 200, repr(email)
        assert "control characters" in response.get_data(as_text=True)


def test_a_password_change_gives_this_browser_a_new_session_token(app: Flask, world: World) -> None:
    browser = app.test_client()
    login(browser, world.operator_a)
    before = browser.get_cookie("portal_session")
    assert before is not None
    copied = app.test_client()
    copied.set_cookie("portal_session", before.value, domain=before.domain)
    assert copied.get("/organization/").status_code == 200
    response = post_form(
        browser,
        "/account/password",
        {"current": PASSWORD, "password": "a new long password", "confirm": "a new long password"},
    )
    assert response.status_code == 302
    assert browser.get("/organization/").status_code == 200  # this browser goes on
    after = browser.get_cookie("portal_session")
    assert after is not None and after.value != before.value
    assert copied.get("/organization/").status_code == 302  # the pre-change cookie is dead
    with app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count(UserSession.id)).where(UserSession.revoked_at.is_(None))
        )
    assert live == 1


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b"true", b'"text"', b"[[1, 2, 3]]", b"[" * 5000 + b"]" * 5000, b"{}"],
)
def test_json_posted_to_a_form_is_a_post_without_fields(
    app: Flask, client: FlaskClient, world: World, body: bytes
) -> None:
    """Found by the property test: Flask-WTF filled forms from a JSON body, and a list, a
    boolean or a deep document there answered 500 on every form of the portal."""
    for path in ("/login", "/register"):
        token = csrf_token(client.get(path).get_data(as_text=True))
        response = client.post(
            path, data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert response.status_code in (200, 400), (path, body[:20])
    login(client, world.operator_a)
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    response = client.post(
        "/account/password",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400  # a post without fields: the form asks for them
    assert "Enter your current password" in response.get_data(as_text=True)


def test_an_id_beyond_a_database_integer_matches_no_route(app: Flask, world: World) -> None:
    """Found by the property test on PostgreSQL: /admin/users/2147483648/deactivate reached the
    database, which refused the number (500)."""
    admin = app.test_client()
    login(admin, world.admin)
    token = csrf_token(admin.get("/admin/").get_data(as_text=True))
    for path in ("/admin/users/2147483648/deactivate", "/admin/organizations/99999999999/invite"):
        response = admin.post(path, data={"csrf_token": token})
        assert response.status_code == 404, path
    assert admin.get("/tool-requests/2147483648").status_code == 404


def test_the_json_depth_scan_stays_linear_on_unterminated_strings() -> None:
    """Found in review: the string-skipping pattern re-scanned an unterminated string from every
    quote inside it — 3 s for a 32 KB autosave body, hours for a 2 MB import."""
    import time

    from portal import safe_json

    for body in ('"' + '\\"' * 700_000, '"' + "\\" * 1_000_000, '["' * 500_000):
        started = time.perf_counter()
        with pytest.raises(safe_json.JsonRefused):
            safe_json.parse(body, max_bytes=2_100_000)
        assert time.perf_counter() - started < 1.0, body[:10]
