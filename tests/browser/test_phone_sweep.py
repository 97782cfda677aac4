"""Every page at 360 px, in every state that has rows (#34): no sideways scrolling anywhere.

The pages are not listed by hand: every GET route of the app is visited (its parameters filled
from the objects built here), as the person who may see it, and a route that is not visited must
be in ``NOT_PAGES`` (files, health checks, links from mail) — so a new page is swept without
anyone remembering to add it. The realistic hospital of tests/domain/operators.py (its products
matched against the KEV snapshot) is visited three times: submitted, with tool requests in every
state; returned with comments and a reply; resubmitted and accepted.

A wide table may scroll inside its own box (``.usa-table-container--scrollable``); the page may
not. On a failure the page's screenshot is kept in the browser artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Answer, Assessment, InventoryItem, ToolRequestStatus, User
from tests.browser.test_journey import register
from tests.browser.test_layout import sign_in
from tests.browser.test_review_loop import too_wide
from tests.factories import World, add_tool_request, submit_for_b
from tests.kev.catalogs import submit_hospital

WIDTH = 360

# GET routes that are not pages a person reads on a phone: files, machine endpoints, and links
# that only work from a message (their pages are the ones they lead to, swept here).
NOT_PAGES = {
    "static",
    "ops.healthz",
    "ops.readyz",
    "metrics.metrics",
    "assess.plan_file",
    "assess.export_json",
    "assess.plan_calendar",
    "assess.plan_pdf",
    "toolrequests.pdf",
    "review.dashboard_xlsx",
    "review.dashboard_pdf",
    "review.dashboard_csv",
    "review.missed_csv",
    "review.progress_csv",
    "review.grant_file",
    # The state program's pages: swept at 360 px, with axe, on a program with figures in
    # tests/browser/test_county_map.py (here their tables would be empty).
    "review.missed",
    "review.progress",
    "review.grant",
    "review.export_queue",
    "review.oscal_zip",
    "exposure.export",
    "auth.confirm_email_change",
    "auth.confirm_email",
    "auth.accept_invitation",
    "auth.reset_password",
    "auth.set_password",
    "auth.unsubscribe",
    "auth.second_step",  # only between password and code; its twin is swept in test_second_factor
    "devmail.sent_mail",  # development only
    "assess.show",  # an assessment's address: it redirects to its step or its results
}

LONG_NOTE = (
    "Approved; call the state SOC at the number in the letter to schedule the scan window "
    "(https://soc.state.example.gov/scheduling/cyber-hygiene-window-request-form)."
)


class Sweep:
    def __init__(self, chromium: Any, live_server: str, shots: Path) -> None:
        self.chromium, self.base, self.shots = chromium, live_server, shots
        self.visited: set[str] = set()
        self.wide: list[str] = []

    def as_person(self, email: str | None, visits: list[tuple[str, str]], state: str) -> None:
        context = chromium_context(self.chromium)
        try:
            page = context.new_page()
            if email is not None:
                sign_in(page, self.base, email)
            for endpoint, path in visits:
                response = page.goto(self.base + path)
                assert response is not None and response.status == 200, (endpoint, path, state)
                # The page asked for, not one it redirected to: only then is it swept.
                assert urlsplit(page.url).path == urlsplit(path).path, (path, page.url, state)
                self.visited.add(endpoint)
                if wide := too_wide(page, f"{path} ({state})"):
                    name = re.sub(r"[^a-z0-9]+", "-", f"{state}-{path}".lower()).strip("-")
                    page.screenshot(path=str(self.shots / f"wide-{name}.png"), full_page=True)
                    self.wide.append(wide)
        finally:
            context.close()

    def registered(self) -> None:
        """The page after registering, reached as a person reaches it."""
        context = chromium_context(self.chromium)
        try:
            page = context.new_page()
            register(
                page,
                self.base,
                "Pine Grove Water District of the Upper Valley",
                "robin.lee@pinegrove-water.example.org",
                "a long passphrase nobody would guess",
            )
            # The page loaded whole, its script too: closing the browser mid-download would
            # leave the dev server's file open (werkzeug skips the close when the peer is gone).
            page.wait_for_url(re.compile(r"/register/done$"), wait_until="load")
            self.visited.add("auth.registered")
            if wide := too_wide(page, "/register/done"):
                self.wide.append(wide)
        finally:
            context.close()


def chromium_context(chromium: Any) -> Any:
    return chromium.new_context(viewport={"width": WIDTH, "height": 740}, is_mobile=True)


def test_every_page_fits_a_phone_in_every_state(
    app: Flask,
    client: FlaskClient,
    world: World,
    live_server: str,
    chromium: Any,
    shots: Path,
    pdf_cache: Any,
) -> None:
    aid = submit_hospital(app, client, world)
    b_id = submit_for_b(app, world)
    with app.app_context():
        item = db.session.scalar(
            sa.select(InventoryItem).where(
                InventoryItem.organization_id == world.org_a, InventoryItem.family_key.is_not(None)
            )
        )
        assert item is not None and item.family_key is not None
        item_id, family = item.id, item.family_key
        # What people type runs long and unbroken: a link in a note, a reason, a justification.
        answer = db.session.scalar(
            sa.select(Answer).where(Answer.assessment_id == aid).order_by(Answer.question_id)
        )
        assert answer is not None
        answer.note = "Ticket: " + LONG_NOTE
        requests = [
            add_tool_request(world.org_a, aid, justification=LONG_NOTE),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.APPROVED, decision_reason=LONG_NOTE
            ),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.DENIED, decision_reason=LONG_NOTE
            ),
        ]
        db.session.commit()
        request_ids = [r.id for r in requests]
        other = add_tool_request(world.org_b, b_id)
        db.session.commit()
        org_b_request = other.id
    cve = _a_matched_cve(client, item_id)
    sweep = Sweep(chromium, live_server, shots)

    def operator_pages(assessment_id: int) -> list[tuple[str, str]]:
        visits = [
            ("main.home", "/"),
            ("assess.index", "/assessments/"),
            ("assess.results", f"/assessments/{assessment_id}/results"),
            ("organizations.show", "/organization/"),
            ("inventory.index", "/organization/products/"),
            ("inventory.edit", f"/organization/products/{item_id}/edit"),
            ("inventory.settle", f"/organization/products/{item_id}/flaws/{cve}"),
        ]
        visits += [("toolrequests.show", f"/tool-requests/{r}") for r in request_ids]
        return visits

    def coordinator_pages(assessment_id: int) -> list[tuple[str, str]]:
        return [
            ("review.index", "/review/"),
            ("review.assessment", f"/review/assessments/{assessment_id}"),
            ("review.assessment", f"/review/assessments/{assessment_id}?show=all"),
            ("review.dashboard", "/review/dashboard"),
            ("review.tool_requests", "/review/tool-requests"),
            ("exposure.index", "/review/exposure/"),
            ("exposure.index", f"/review/exposure/?product={quote(family)}"),
            ("exposure.confirm_notify", f"/review/exposure/notify?product={quote(family)}"),
        ] + [("toolrequests.show", f"/tool-requests/{r}") for r in request_ids]

    # 1. Submitted, with requests submitted, approved and denied.
    sweep.as_person(
        world.operator_a,
        [
            *operator_pages(aid),
            ("toolrequests.new", f"/assessments/{aid}/tool-requests/new"),
            ("auth.account", "/account/"),
            ("auth.change_email", "/account/email"),
            ("auth.change_password", "/account/password"),
            ("auth.notifications", "/account/notifications"),
            ("auth.second_factors", "/account/second-factor"),
            ("auth.add_app", "/account/second-factor/app"),
            ("auth.add_passkey", "/account/second-factor/passkey"),
            ("auth.confirm_identity", "/account/confirm"),
        ],
        "submitted",
    )
    sweep.as_person(
        world.coordinator_x,
        [
            *coordinator_pages(aid),
            ("review.confirm_return", f"/review/assessments/{aid}/return"),
        ],
        "submitted",
    )
    sweep.as_person(
        world.coordinator_y, [("toolrequests.show", f"/tool-requests/{org_b_request}")], "other"
    )

    # 2. Returned, with a comment on a question and on the whole, and the operator's reply.
    question = _return_with_comments(app, world, aid)
    sweep.as_person(
        world.operator_a,
        [
            *operator_pages(aid),
            ("assess.step", f"/assessments/{aid}/steps/0"),
            ("assess.review", f"/assessments/{aid}/review"),
            ("assess.reply_form", f"/assessments/{aid}/questions/{question}/reply"),
        ],
        "returned",
    )
    sweep.as_person(world.coordinator_x, coordinator_pages(aid), "returned")

    # 3. Resubmitted and accepted.
    _resubmit_and_accept(app, world, aid)
    sweep.as_person(world.operator_a, operator_pages(aid), "accepted")
    sweep.as_person(world.coordinator_x, coordinator_pages(aid), "accepted")

    # Admin pages, and the pages before signing in.
    with app.app_context():
        from portal.models import Organization

        first_org = db.session.scalar(sa.select(Organization.id).order_by(Organization.id))
    sweep.as_person(
        world.admin,
        [
            ("admin.index", "/admin/"),
            ("admin.audit_log", "/admin/audit"),
            ("admin.catalog", "/admin/catalog"),
            ("admin.new_coordinator", "/admin/coordinators/new"),
            ("admin.new_jurisdiction", "/admin/jurisdictions/new"),
            ("admin.outgoing_mail", "/admin/mail"),
            ("admin.invite_operator", f"/admin/organizations/{first_org}/invite"),
            ("admin.new_organization", "/admin/organizations/new"),
        ],
        "admin",
    )
    sweep.as_person(
        None,
        [
            ("auth.login", "/login"),
            ("auth.register", "/register"),
            ("auth.forgot_password", "/password/forgot"),
        ],
        "signed out",
    )

    sweep.registered()
    assert not sweep.wide, "wider than the phone:\n" + "\n".join(sweep.wide)
    pages = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert pages - NOT_PAGES - sweep.visited == set(), "pages nobody visited"


def _a_matched_cve(client: FlaskClient, item_id: int) -> str:
    html = client.get("/organization/products/").get_data(as_text=True)
    found = re.search(rf"/organization/products/{item_id}/flaws/(CVE-[0-9-]+)", html)
    if found is None:  # the first product has no match: any settle link will do
        found = re.search(r"/organization/products/\d+/flaws/(CVE-[0-9-]+)", html)
    assert found, "no KEV match to settle"
    return found.group(1)


def _return_with_comments(app: Flask, world: World, aid: int) -> str:
    from portal.assessments import lifecycle, revision

    question = "core.no_exposed_services"
    with app.test_request_context():
        assessment = db.session.get_one(Assessment, aid)
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert coordinator is not None and operator is not None
        revision.add_comment(
            assessment,
            coordinator,
            question,
            "Which address is the remote desktop on? Close it this week: "
            "https://www.cisa.gov/resources-tools/resources/stopransomware-guide",
        )
        revision.add_comment(assessment, coordinator, None, "Thanks — two points to look at.")
        lifecycle.decide(assessment, "return", coordinator)
        revision.add_comment(assessment, operator, question, "Closed on the firewall today.")
        db.session.commit()
    return question


def _resubmit_and_accept(app: Flask, world: World, aid: int) -> None:
    from portal.assessments import lifecycle

    with app.test_request_context():
        assessment = db.session.get_one(Assessment, aid)
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert coordinator is not None and operator is not None
        lifecycle.submit(assessment, operator)
        lifecycle.decide(assessment, "accept", coordinator)
        db.session.commit()
