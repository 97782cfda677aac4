"""Every page of the portal, in every state that has rows, as each person who may see it: the
walk shared by the phone sweep (tests/browser/test_phone_sweep.py, at 360 px) and the Spanish
sweep (tests/test_spanish_pages.py, every word). The realistic hospital of
tests/domain/operators.py (its products matched against the KEV snapshot) is visited three
times: submitted, with tool requests submitted, approved and denied; returned with comments
and a reply; resubmitted and accepted. A GET route that is not visited must be in NOT_PAGES, so
a new page is swept without anyone remembering to add it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Answer, Assessment, InventoryItem, Organization, ToolRequestStatus, User
from tests.factories import World, add_tool_request, submit_for_b
from tests.kev.catalogs import submit_hospital

# GET routes that are not pages a person reads: files, machine endpoints, and links that only
# work from a message (their pages are the ones they lead to, visited here).
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
    "auth.registered",  # reached by registering (the journeys and the phone sweep do)
}
# The state program's pages: with figures only on a program of many organizations
# (tests/review/program.py); the phone sweep leaves them to tests/browser/test_county_map.py.
PROGRAM_PAGES = {"review.missed", "review.progress", "review.grant"}

Pages = list[tuple[str, str]]  # (endpoint, path)
Visit = Callable[[str | None, Pages, str], None]  # (who, pages, state): None is signed out


@dataclass(frozen=True)
class Typed:
    """What people type in the walk: long unbroken links for the phone, Spanish for the
    Spanish sweep (what people type is theirs, in any language)."""

    note: str
    reason: str
    comment_on_question: str
    comment_on_all: str
    reply: str


def walk(
    app: Flask,
    client: FlaskClient,
    world: World,
    visit: Visit,
    typed: Typed,
    *,
    program: bool = False,
) -> set[str]:
    """Build the hospital and visit every page in each state; returns the endpoints a route
    map must still account for (every GET route minus NOT_PAGES, minus PROGRAM_PAGES unless
    ``program``)."""
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
        answer = db.session.scalar(
            sa.select(Answer).where(Answer.assessment_id == aid).order_by(Answer.question_id)
        )
        assert answer is not None
        answer.note = typed.note
        requests = [
            add_tool_request(world.org_a, aid, justification=typed.reason),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.APPROVED, decision_reason=typed.reason
            ),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.DENIED, decision_reason=typed.reason
            ),
        ]
        db.session.commit()
        request_ids = [r.id for r in requests]
        other = add_tool_request(world.org_b, b_id)
        db.session.commit()
        org_b_request = other.id
    cve = a_matched_cve(client, item_id)
    requests_pages = [("toolrequests.show", f"/tool-requests/{r}") for r in request_ids]

    def operator_pages() -> Pages:
        return [
            ("main.home", "/"),
            ("assess.index", "/assessments/"),
            ("assess.results", f"/assessments/{aid}/results"),
            ("organizations.show", "/organization/"),
            ("inventory.index", "/organization/products/"),
            ("inventory.edit", f"/organization/products/{item_id}/edit"),
            ("inventory.settle", f"/organization/products/{item_id}/flaws/{cve}"),
            *requests_pages,
        ]

    def coordinator_pages() -> Pages:
        pages = [
            ("review.index", "/review/"),
            ("review.assessment", f"/review/assessments/{aid}"),
            ("review.assessment", f"/review/assessments/{aid}?show=all"),
            ("review.dashboard", "/review/dashboard"),
            ("review.tool_requests", "/review/tool-requests"),
            ("exposure.index", "/review/exposure/"),
            ("exposure.index", f"/review/exposure/?product={quote(family)}"),
            ("exposure.confirm_notify", f"/review/exposure/notify?product={quote(family)}"),
            *requests_pages,
        ]
        if program:
            pages += [
                ("review.missed", "/review/missed"),
                ("review.progress", "/review/progress"),
                ("review.grant", "/review/grant"),
            ]
        return pages

    # 1. Submitted, with requests submitted, approved and denied.
    visit(
        world.operator_a,
        [
            *operator_pages(),
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
    visit(
        world.coordinator_x,
        [*coordinator_pages(), ("review.confirm_return", f"/review/assessments/{aid}/return")],
        "submitted",
    )
    visit(world.coordinator_y, [("toolrequests.show", f"/tool-requests/{org_b_request}")], "other")

    # 2. Returned, with a comment on a question and on the whole, and the operator's reply.
    question = _return_with_comments(app, world, aid, typed)
    visit(
        world.operator_a,
        [
            *operator_pages(),
            ("assess.step", f"/assessments/{aid}/steps/0"),
            ("assess.step", f"/assessments/{aid}/steps/3"),
            ("assess.review", f"/assessments/{aid}/review"),
            ("assess.reply_form", f"/assessments/{aid}/questions/{question}/reply"),
        ],
        "returned",
    )
    visit(world.coordinator_x, coordinator_pages(), "returned")

    # 3. Resubmitted and accepted.
    _resubmit_and_accept(app, world, aid)
    visit(world.operator_a, operator_pages(), "accepted")
    visit(world.coordinator_x, coordinator_pages(), "accepted")

    # Admin pages, and the pages before signing in.
    with app.app_context():
        first_org = db.session.scalar(sa.select(Organization.id).order_by(Organization.id))
    visit(
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
    visit(
        None,
        [
            ("auth.login", "/login"),
            ("auth.register", "/register"),
            ("auth.forgot_password", "/password/forgot"),
        ],
        "signed out",
    )
    pages = {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    return pages - NOT_PAGES - (set() if program else PROGRAM_PAGES)


def a_matched_cve(client: FlaskClient, item_id: int) -> str:
    html = client.get("/organization/products/").get_data(as_text=True)
    found = re.search(rf"/organization/products/{item_id}/flaws/(CVE-[0-9-]+)", html)
    if found is None:  # the first product has no match: any settle link will do
        found = re.search(r"/organization/products/\d+/flaws/(CVE-[0-9-]+)", html)
    assert found, "no KEV match to settle"
    return found.group(1)


def _return_with_comments(app: Flask, world: World, aid: int, typed: Typed) -> str:
    from portal.assessments import lifecycle, revision

    question = "core.no_exposed_services"
    with app.test_request_context():
        assessment = db.session.get_one(Assessment, aid)
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert coordinator is not None and operator is not None
        revision.add_comment(assessment, coordinator, question, typed.comment_on_question)
        revision.add_comment(assessment, coordinator, None, typed.comment_on_all)
        lifecycle.decide(assessment, "return", coordinator)
        revision.add_comment(assessment, operator, question, typed.reply)
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
