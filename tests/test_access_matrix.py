"""Route × role × tenant matrix.

Every URL rule of the app must appear in POLICY (a new route without an access decision fails
here). Each is tried as anonymous, the operator of org A (who owns the objects), the operator of
org B, the coordinator of A's jurisdiction (X), the coordinator of another (Y), and an admin.
Another tenant's object answers 404; the wrong role 403; anonymous goes to sign-in.
POSTs are tried only by actors who must be refused, so nothing is changed by the test itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Invitation, ToolRequest, User
from tests.factories import World
from tests.web import csrf_token, login

ACTORS = ("anonymous", "operator_a", "operator_b", "coordinator_x", "coordinator_y", "admin")
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404

# Expected outcome per actor, by kind of route.
KINDS: dict[str, dict[str, Any]] = {
    "public": dict.fromkeys(ACTORS, OK),
    # Only with the metrics token (none in the tests): to everyone else it does not exist.
    "token": dict.fromkeys(ACTORS, NOT_FOUND),
    "signed_in": {"anonymous": LOGIN, **dict.fromkeys(ACTORS[1:], OK)},
    # The code after the password: without a password just given, back to signing in.
    "after_password": dict.fromkeys(ACTORS, LOGIN),
    # Its passkey options, asked for by script: without a password just given, a conflict.
    "after_password_script": dict.fromkeys(ACTORS, 409),
    "operator": {
        "anonymous": LOGIN,
        "operator_a": OK,
        "operator_b": OK,
        "coordinator_x": FORBIDDEN,
        "coordinator_y": FORBIDDEN,
        "admin": FORBIDDEN,
    },
    # A's draft, never submitted: A's operators only; to everyone else it does not exist.
    "own_draft": {
        "anonymous": LOGIN,
        "operator_a": OK,
        "operator_b": NOT_FOUND,
        "coordinator_x": NOT_FOUND,
        "coordinator_y": NOT_FOUND,
        "admin": NOT_FOUND,
    },
    # Same, but the role is checked before the object is loaded.
    "edit_own_role_first": {
        "anonymous": LOGIN,
        "operator_a": OK,
        "operator_b": NOT_FOUND,
        "coordinator_x": FORBIDDEN,
        "coordinator_y": FORBIDDEN,
        "admin": FORBIDDEN,
    },
    # A reply to a coordinator's comment: only on A's assessment while it is returned; the
    # draft tried here never was, so even A's operator finds nothing to reply to (the allowed
    # path is tested in tests/review/test_review_loop.py).
    "reply_own_returned": {
        "anonymous": LOGIN,
        "operator_a": NOT_FOUND,
        "operator_b": NOT_FOUND,
        "coordinator_x": FORBIDDEN,
        "coordinator_y": FORBIDDEN,
        "admin": FORBIDDEN,
    },
    # A's object, to read: A's operators, X's coordinator, admins.
    "view_own": {
        "anonymous": LOGIN,
        "operator_a": OK,
        "operator_b": NOT_FOUND,
        "coordinator_x": OK,
        "coordinator_y": NOT_FOUND,
        "admin": OK,
    },
    "reviewer": {
        "anonymous": LOGIN,
        "operator_a": FORBIDDEN,
        "operator_b": FORBIDDEN,
        "coordinator_x": OK,
        "coordinator_y": OK,
        "admin": OK,
    },
    "review_object": {
        "anonymous": LOGIN,
        "operator_a": FORBIDDEN,
        "operator_b": FORBIDDEN,
        "coordinator_x": OK,
        "coordinator_y": NOT_FOUND,
        "admin": OK,
    },
    "admin": {
        "anonymous": LOGIN,
        "operator_a": FORBIDDEN,
        "operator_b": FORBIDDEN,
        "coordinator_x": FORBIDDEN,
        "coordinator_y": FORBIDDEN,
        "admin": OK,
    },
}

# endpoint -> (kind, method, path template)
POLICY: dict[str, tuple[str, str, str]] = {
    "main.home": ("public", "GET", "/"),
    "main.choose_language": ("public", "POST", "/language"),
    "organizations.choose_language": ("operator", "POST", "/organization/language"),
    "ops.healthz": ("public", "GET", "/healthz"),
    "ops.readyz": ("public", "GET", "/readyz"),
    "metrics.metrics": ("token", "GET", "/metrics"),
    "auth.login": ("public", "GET", "/login"),
    "auth.register": ("public", "GET", "/register"),
    "auth.registered": ("public", "GET", "/register/done"),
    "auth.accept_invitation": ("public", "GET", "/invitations/{invitation_token}"),
    "auth.logout": ("signed_in", "POST", "/logout"),
    "auth.change_password": ("signed_in", "GET", "/account/password"),
    "auth.second_step": ("after_password", "GET", "/login/code"),
    "auth.second_factors": ("signed_in", "GET", "/account/second-factor"),
    "auth.add_app": ("signed_in", "GET", "/account/second-factor/app"),
    "auth.add_passkey": ("signed_in", "GET", "/account/second-factor/passkey"),
    "auth.confirm_identity": ("signed_in", "GET", "/account/confirm"),
    "auth.step_up_passkey_options": ("signed_in", "POST", "/account/confirm/passkey/options"),
    "auth.step_up_passkey": ("signed_in", "POST", "/account/confirm/passkey"),
    "auth.end_session": ("signed_in", "POST", "/account/sessions/1/end"),
    "auth.end_other_sessions": ("signed_in", "POST", "/account/sessions/end-others"),
    "auth.passkey_options": ("signed_in", "POST", "/account/second-factor/passkey/options"),
    "auth.passkey_sign_in": ("after_password", "POST", "/login/passkey"),
    "auth.passkey_sign_in_options": ("after_password_script", "POST", "/login/passkey/options"),
    "auth.remove_factor": ("signed_in", "POST", "/account/second-factor/1/remove"),
    "auth.new_recovery_codes": ("signed_in", "POST", "/account/second-factor/recovery-codes"),
    "organizations.show": ("operator", "GET", "/organization/"),
    "organizations.require_second_factor": ("operator", "POST", "/organization/second-factor"),
    "organizations.invite": ("operator", "POST", "/organization/invitations"),
    "organizations.revoke_invitation": (
        "edit_own_role_first",
        "POST",
        "/organization/invitations/{invitation}/revoke",
    ),
    "inventory.index": ("operator", "GET", "/organization/products/"),
    "inventory.add": ("operator", "POST", "/organization/products/"),
    "inventory.edit": ("edit_own_role_first", "GET", "/organization/products/{product}/edit"),
    "inventory.delete": ("edit_own_role_first", "POST", "/organization/products/{product}/delete"),
    "inventory.settle": (
        "edit_own_role_first",
        "GET",
        "/organization/products/{product}/flaws/{cve}",
    ),
    "inventory.settle_older": (
        "edit_own_role_first",
        "POST",
        "/organization/products/{product}/flaws/older-fixed",
    ),
    "exposure.index": ("reviewer", "GET", "/review/exposure/"),
    "exposure.export": ("reviewer", "GET", "/review/exposure/affected.xlsx"),
    "exposure.confirm_notify": ("reviewer", "GET", "/review/exposure/notify"),
    "exposure.notify": ("reviewer", "POST", "/review/exposure/notify"),
    "assess.index": ("operator", "GET", "/assessments/"),
    "assess.start": ("operator", "POST", "/assessments/start"),
    "assess.import_json": ("operator", "POST", "/assessments/import"),
    "assess.show": ("own_draft", "GET", "/assessments/{draft}"),
    "assess.step": ("own_draft", "GET", "/assessments/{draft}/steps/0"),
    "assess.save_step": ("own_draft", "POST", "/assessments/{draft}/steps/0"),
    "assess.autosave": ("own_draft", "POST", "/assessments/{draft}/answers"),
    "assess.resolve_conflicts": ("edit_own_role_first", "POST", "/assessments/{draft}/conflicts"),
    "assess.review": ("own_draft", "GET", "/assessments/{draft}/review"),
    "assess.submit": ("edit_own_role_first", "POST", "/assessments/{draft}/submit"),
    "assess.results": ("view_own", "GET", "/assessments/{submitted}/results"),
    "assess.export_json": ("view_own", "GET", "/assessments/{submitted}/export.json"),
    "assess.plan_pdf": ("view_own", "GET", "/assessments/{submitted}/plan.pdf"),
    "assess.plan_file": ("view_own", "GET", "/assessments/{submitted}/plan.docx"),
    "toolrequests.new": (
        "edit_own_role_first",
        "GET",
        "/assessments/{submitted}/tool-requests/new",
    ),
    "toolrequests.show": ("view_own", "GET", "/tool-requests/{request}"),
    "toolrequests.pdf": ("view_own", "GET", "/tool-requests/{request}.pdf"),
    "review.index": ("reviewer", "GET", "/review/"),
    "review.tool_requests": ("reviewer", "GET", "/review/tool-requests"),
    "review.dashboard": ("reviewer", "GET", "/review/dashboard"),
    "review.dashboard_csv": ("reviewer", "GET", "/review/dashboard/status.csv"),
    "review.export_queue": ("reviewer", "GET", "/review/export.xlsx"),
    "review.dashboard_xlsx": ("reviewer", "GET", "/review/dashboard.xlsx"),
    "review.dashboard_pdf": ("reviewer", "GET", "/review/dashboard.pdf"),
    "review.missed": ("reviewer", "GET", "/review/missed"),
    "review.missed_csv": ("reviewer", "GET", "/review/missed.csv"),
    "review.progress": ("reviewer", "GET", "/review/progress"),
    "review.progress_csv": ("reviewer", "GET", "/review/progress.csv"),
    "review.grant": ("reviewer", "GET", "/review/grant"),
    "review.grant_file": ("reviewer", "GET", "/review/grant.xlsx"),
    "review.oscal_zip": ("reviewer", "GET", "/review/oscal.zip"),
    "review.assessment": ("review_object", "GET", "/review/assessments/{submitted}"),
    "review.comment": ("review_object", "POST", "/review/assessments/{submitted}/comments"),
    "review.accept": ("review_object", "POST", "/review/assessments/{submitted}/accept"),
    "review.confirm_return": ("review_object", "GET", "/review/assessments/{submitted}/return"),
    "review.return_for_revision": (
        "review_object",
        "POST",
        "/review/assessments/{submitted}/return",
    ),
    "assess.reply_form": (
        "reply_own_returned",
        "GET",
        "/assessments/{draft}/questions/core.security_lead/reply",
    ),
    "assess.reply": (
        "reply_own_returned",
        "POST",
        "/assessments/{draft}/questions/core.security_lead/reply",
    ),
    "review.decide_tool_request": (
        "review_object",
        "POST",
        "/review/tool-requests/{request}/decide",
    ),
    "admin.index": ("admin", "GET", "/admin/"),
    "admin.new_coordinator": ("admin", "GET", "/admin/coordinators/new"),
    "admin.new_jurisdiction": ("admin", "GET", "/admin/jurisdictions/new"),
    "admin.new_organization": ("admin", "GET", "/admin/organizations/new"),
    "admin.invite_operator": ("admin", "GET", "/admin/organizations/{org_a}/invite"),
    "admin.audit_log": ("admin", "GET", "/admin/audit"),
    "admin.change_user": ("admin", "POST", "/admin/users/{coordinator_y_id}/deactivate"),
    "admin.outgoing_mail": ("admin", "GET", "/admin/mail"),
    "admin.catalog": ("admin", "GET", "/admin/catalog"),
    "admin.retry_mail": ("admin", "POST", "/admin/mail/1/retry"),
    "assess.plan_calendar": ("view_own", "GET", "/assessments/{submitted}/plan.ics"),
    "auth.account": ("signed_in", "GET", "/account/"),
    "auth.change_email": ("signed_in", "GET", "/account/email"),
    "auth.notifications": ("signed_in", "GET", "/account/notifications"),
    "auth.resend_confirmation": ("signed_in", "POST", "/email/confirm"),
    # Mailed links: whoever holds the secret link may open its page (it changes nothing until
    # its button is pressed, with a CSRF token).
    "auth.forgot_password": ("public", "GET", "/password/forgot"),
    "auth.reset_password": ("public", "GET", "/password/reset/{reset_token}"),
    "auth.set_password": ("public", "GET", "/password/set/{set_token}"),
    "auth.confirm_email": ("public", "GET", "/email/confirm/{confirm_token}"),
    "auth.confirm_email_change": ("public", "GET", "/email/change/{change_token}"),
    "auth.unsubscribe": ("public", "GET", "/unsubscribe/{unsubscribe_token}"),
    # Development only (PORTAL_ENV=development; tests/test_mail.py checks production has none).
    "devmail.sent_mail": ("public", "GET", "/dev/mail"),
}
UNCHECKED = {"static"}  # public files, no data


def test_every_route_has_an_access_decision(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNCHECKED
    missing = sorted(endpoints - set(POLICY))
    assert not missing, f"routes without an entry in POLICY: {missing}"
    assert not set(POLICY) - endpoints, "POLICY names routes that no longer exist"


def _client(app: Flask, world: World, actor: str) -> FlaskClient:
    client = app.test_client()
    if actor != "anonymous":
        assert login(client, getattr(world, actor)).status_code == 302
    return client


@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_route_answers_each_actor_as_the_policy_says(
    app: Flask, world: World, objects: dict[str, Any], endpoint: str
) -> None:
    kind, method, template = POLICY[endpoint]
    path = template.format(**objects)
    for actor in ACTORS:
        expected = KINDS[kind][actor]
        if method == "POST" and expected == OK:
            continue  # an allowed POST would change state; its behaviour is tested elsewhere
        client = _client(app, world, actor)
        if method == "GET":
            response = client.get(path)
        else:
            token = csrf_token(
                client.get("/login" if actor == "anonymous" else "/").get_data(as_text=True)
            )
            response = (
                client.post(path, data={"csrf_token": token}, headers={"X-CSRFToken": token})
                if endpoint != "assess.autosave"
                else client.post(
                    path,
                    json={
                        "question_id": "core.security_lead",
                        "value": "no",
                        "note": "",
                        "revision": 0,
                    },
                    headers={"X-CSRFToken": token},
                )
            )
        status = response.status_code
        where = f"{endpoint} as {actor}: {status}"
        assert status < 500, where
        if expected == OK:
            assert status not in (401, 403, 404), where
            assert "/login" not in response.headers.get("Location", ""), where
        elif expected == LOGIN:
            assert status in (302, 401), where
            if status == 302:
                assert re.search(r"/login", response.headers["Location"]), where
        else:
            assert status == expected, where


@pytest.mark.parametrize("endpoint", sorted(e for e, p in POLICY.items() if p[1] == "POST"))
def test_every_post_route_refuses_a_missing_csrf_token(
    app: Flask, world: World, objects: dict[str, Any], endpoint: str
) -> None:
    """As an actor who would be allowed, without the token: refused, and nothing changes."""
    from portal.models import Answer, AuditEvent, InventoryItem

    kind, _, template = POLICY[endpoint]
    # (A reply route has no allowed actor on these objects; the owner's operator tries it.)
    actor = next((a for a in ACTORS if KINDS[kind][a] == OK and a != "anonymous"), "operator_a")
    client = _client(app, world, actor)
    path = template.format(**objects)

    decisions = [
        "assessment.submitted",
        "assessment.accepted",
        "tool_request.approved",
        "invitation.created",
    ]

    def snapshot() -> tuple[int, ...]:
        with app.app_context():
            return (
                *(
                    db.session.scalar(sa.select(sa.func.count()).select_from(t))
                    for t in (Answer, ToolRequest, Invitation, User, InventoryItem)
                ),
                db.session.scalar(
                    sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.in_(decisions))
                ),
            )

    before = snapshot()
    if endpoint == "assess.autosave":
        response = client.post(
            path,
            json={"question_id": "core.security_lead", "value": "no", "note": "", "revision": 0},
        )
    else:
        response = client.post(path, data={"field": "value"})
    if endpoint == "assess.save_step":
        # Kept for the person to save again (see the wizard tests), never written as is.
        assert response.status_code == 302
    else:
        assert response.status_code == 400, f"{endpoint}: {response.status_code}"
    assert snapshot() == before  # no row and no audited decision


def test_security_headers_and_a_minimal_client_session(app: Flask, world: World) -> None:
    from flask.sessions import SecureCookieSessionInterface

    client = _client(app, world, "operator_a")
    for path in ("/", "/login", "/assessments/", "/no/such/page", "/static/css/portal.css"):
        response = client.get(path)
        headers = response.headers
        response.close()  # static files are streamed; close the file
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "unsafe-inline" not in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    content = serializer.loads(cookie.value)
    # Only the login token and CSRF secret: no user id, role, email or answers.
    assert set(content) <= {"_user_id", "_fresh", "_id", "csrf_token", "_permanent", "_flashes"}
    assert world.operator_a not in str(content)


def test_a_draft_is_the_organizations_own_until_it_is_submitted(
    app: Flask, world: World, objects: dict[str, Any]
) -> None:
    """Every route that takes an assessment id, tried with A's never-submitted draft by those
    who may see A's submissions (its jurisdiction's coordinator, an admin): refused, nothing
    shown or written. Sequential ids make a draft easy to guess."""
    from portal.models import ReviewComment, StatusChange

    rules = [r for r in app.url_map.iter_rules() if "assessment_id" in r.arguments]
    assert len(rules) >= 10
    for actor in ("coordinator_x", "admin"):
        client = _client(app, world, actor)
        token = csrf_token(client.get("/").get_data(as_text=True))
        for rule in rules:
            path = re.sub(r"<[^>]*assessment_id>", str(objects["draft"]), rule.rule)
            path = re.sub(r"<int:number>", "0", path)
            path = re.sub(r"<any\(([a-z]+)[^>]*\):action>", r"\1", path)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.open(
                    path,
                    method=method,
                    data={"csrf_token": token, "body": "seen your draft", "question_id": ""},
                    headers={"X-CSRFToken": token},
                )
                # 404; or 403 where the route is for operators and refuses by role before it
                # reads any object.
                where = f"{method} {path} as {actor}"
                assert response.status_code in (403, 404), where
                assert "SENTINEL-A" not in response.get_data(as_text=True), where
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ReviewComment.id)).where(
                    ReviewComment.body == "seen your draft"
                )
            )
            == 0
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count(StatusChange.id)).where(
                    StatusChange.assessment_id == objects["draft"]
                )
            )
            == 1  # only its creation
        )


def test_a_returned_assessment_stays_visible_and_its_plan_link_agrees(
    app: Flask, world: World, objects: dict[str, Any]
) -> None:
    """Returned for revision, the assessment is a draft again, but it was submitted: the
    coordinator follows it. Its plan is made again on resubmission, so the review page offers
    no plan link, and the plan URL leads back to the review page with that explanation."""
    from portal.models import Assessment, AssessmentStatus

    with app.app_context():
        draft = db.session.get(Assessment, objects["draft"])
        assert draft is not None
        db.session.delete(draft)  # one draft at a time: make room for the returned one
        db.session.commit()
    coordinator = _client(app, world, "coordinator_x")
    page = f"/review/assessments/{objects['submitted']}"
    token = csrf_token(coordinator.get(page).get_data(as_text=True))
    returned = coordinator.post(
        f"{page}/return", data={"csrf_token": token, "message": "Please check the backups."}
    )
    assert returned.status_code == 302
    with app.app_context():
        assessment = db.session.get(Assessment, objects["submitted"])
        assert assessment is not None and assessment.status is AssessmentStatus.RETURNED
    html = coordinator.get(page).get_data(as_text=True)
    assert "plan.pdf" not in html
    assert "made again when the organization resubmits" in html
    pdf = coordinator.get(f"/assessments/{objects['submitted']}/plan.pdf")
    assert pdf.status_code == 302
    assert pdf.headers["Location"].endswith(page)
    assert coordinator.get(f"/assessments/{objects['submitted']}/results").status_code == 200
