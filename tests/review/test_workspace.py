"""The coordinator workspace as coordinators use it, scoped to their jurisdiction."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Organization,
    ReviewComment,
    ToolRequest,
    ToolRequestStatus,
    User,
)
from tests.factories import World, add_tool_request, submit_assessment, submit_for_b
from tests.web import csrf_token, login, post_form


def test_queue_shows_only_the_jurisdiction(app: Flask, world: World) -> None:
    a_id = submit_assessment(app, world)
    b_id = submit_for_b(app, world)
    x, y = app.test_client(), app.test_client()
    login(x, world.coordinator_x)
    login(y, world.coordinator_y)
    x_html = x.get("/review/").get_data(as_text=True)
    y_html = y.get("/review/").get_data(as_text=True)
    assert "SENTINEL-A" in x_html and "SENTINEL-B" not in x_html
    assert "SENTINEL-B" in y_html and "SENTINEL-A" not in y_html
    assert "Submitted: 1" in x_html
    # Another jurisdiction's detail, decision or PDF answers 404 and is audited.
    assert x.get(f"/review/assessments/{b_id}").status_code == 404
    assert (
        post_form(x, f"/review/assessments/{b_id}/accept", {}, page="/review/").status_code == 404
    )
    assert x.get(f"/assessments/{b_id}/plan.pdf").status_code == 404
    with app.app_context():
        denied = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "access.denied")
        ).all()
        assert len(denied) >= 3
        assessment_b = db.session.get(Assessment, b_id)
        assert assessment_b is not None and assessment_b.status is AssessmentStatus.SUBMITTED
    assert x.get(f"/review/assessments/{a_id}").status_code == 200
    # Admin sees both; operators cannot open the queue.
    admin = app.test_client()
    login(admin, world.admin)
    admin_html = admin.get("/review/").get_data(as_text=True)
    assert "SENTINEL-A" in admin_html and "SENTINEL-B" in admin_html
    operator = app.test_client()
    login(operator, world.operator_a)
    assert operator.get("/review/").status_code == 403


def test_filters_sort_and_keyset_pages(app: Flask, world: World) -> None:
    submit_assessment(app, world)
    admin = app.test_client()
    login(admin, world.admin)
    submit_for_b(app, world)
    assert "SENTINEL-B" not in admin.get("/review/?sector=hospital").get_data(as_text=True)
    assert "SENTINEL-A" not in admin.get("/review/?county=lake").get_data(as_text=True)
    assert "SENTINEL-A" in admin.get("/review/?q=alpha%20hosp").get_data(as_text=True)
    assert "No assessments match" in admin.get("/review/?score=90-100").get_data(as_text=True)
    # Bad filter values: a clear message, not a 500.
    for bad in (
        "sector=nuclear",
        "sort=drop+table",
        "submitted_from=yesterday",
        "submitted_from=2026-02-01&submitted_to=2026-01-01",
        "after=garbage",
    ):
        response = admin.get(f"/review/?{bad}")
        assert response.status_code == 400, bad
        assert "There is a problem" in response.get_data(as_text=True)
    # Keyset paging: one row per page by patching the page size.
    from portal.review import queue

    original = queue.PAGE_SIZE
    queue.PAGE_SIZE = 1
    try:
        first = admin.get("/review/?sort=name").get_data(as_text=True)
        link = re.search(r'<a [^>]*href="(/review/\?after=[^"]+)"', first)
        assert link, "no next page link"
        second = admin.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert ("SENTINEL-A" in first) != ("SENTINEL-A" in second)
        assert not re.search(r'<a [^>]*href="/review/\?after=', second)
    finally:
        queue.PAGE_SIZE = original


def test_comment_return_and_resubmit(app: Flask, world: World) -> None:
    a_id = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = f"/review/assessments/{a_id}"
    empty = post_form(coordinator, f"{page}/comments", {"body": ""}, page=page)
    assert empty.status_code == 400 and "Write the comment." in empty.get_data(as_text=True)
    post_form(
        coordinator,
        f"{page}/comments",
        {"body": "Please check <b>MFA</b> again", "question_id": "core.mfa_remote_email"},
        page=page,
    )
    post_form(coordinator, f"{page}/comments", {"body": "Overall fine."}, page=page)
    # Accepting is refused only for non-submitted; returning works.
    response = post_form(
        coordinator,
        f"{page}/return",
        {"message": "Two answers to check."},
        page=page,
        follow_redirects=True,
    )
    assert "Returned for revision" in response.get_data(as_text=True)
    again = post_form(coordinator, f"{page}/accept", {}, page=page, follow_redirects=True)
    assert "Only a submitted assessment can be accepted; this one is returned." in again.get_data(
        as_text=True
    )
    # The operator gets it back as a draft with the comments next to the question.
    operator = app.test_client()
    login(operator, world.operator_a)
    index = operator.get("/assessments/").get_data(as_text=True)
    assert "Your coordinator returned this assessment" in index and "Overall fine." in index
    assert "1 question needs changes" in index
    with app.app_context():
        from portal import questionnaire_versions

        steps = [
            s
            for m in questionnaire_versions.current().modules
            if m.id in ("core", "hospital")
            for s in m.sections
        ]
        number = next(
            i
            for i, s in enumerate(steps)
            if any(q.id == "core.mfa_remote_email" for q in s.questions)
        )
    step_html = operator.get(f"/assessments/{a_id}/steps/{number}").get_data(as_text=True)
    assert "Please check &lt;b&gt;MFA&lt;/b&gt; again" in step_html
    resubmit = post_form(
        operator, f"/assessments/{a_id}/submit", {}, page=f"/assessments/{a_id}/review"
    )
    assert resubmit.status_code == 302
    accepted = post_form(coordinator, f"{page}/accept", {}, page=page, follow_redirects=True)
    assert "Accepted." in accepted.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(Assessment, a_id)
        assert item is not None and item.status is AssessmentStatus.ACCEPTED
        history = [
            (c.from_status.value if c.from_status else None, c.to_status.value)
            for c in item_changes(a_id)
        ]
        assert history == [
            (None, "draft"),
            ("draft", "submitted"),
            ("submitted", "returned"),
            ("returned", "submitted"),
            ("submitted", "accepted"),
        ]
        # Two comments, and the message the return required.
        assert db.session.scalar(sa.select(sa.func.count(ReviewComment.id))) == 3
    html = coordinator.get(page).get_data(as_text=True)
    assert "Returned for revision → Submitted" in html


def item_changes(assessment_id: int) -> list:  # type: ignore[type-arg]
    from portal.models import StatusChange

    return list(
        db.session.scalars(
            sa.select(StatusChange)
            .where(StatusChange.assessment_id == assessment_id)
            .order_by(StatusChange.id)
        )
    )


def test_tool_request_decisions(app: Flask, world: World) -> None:
    a_id = submit_assessment(app, world)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        org = db.session.get(Organization, world.org_a)
        assert user is not None and org is not None
        request_row = add_tool_request(org.id, a_id, created_by_id=user.id)
        db.session.commit()
        request_id = request_row.id
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    listing = coordinator.get("/review/tool-requests").get_data(as_text=True)
    assert "Request of " in listing and "Submitted (1)" in listing
    assert f">#{request_id}<" not in listing  # people's words, not the row's number
    show = f"/tool-requests/{request_id}"
    html = coordinator.get(show).get_data(as_text=True)
    token = csrf_token(html)
    no_reason = coordinator.post(
        f"/review/tool-requests/{request_id}/decide",
        data={"csrf_token": token, "action": "deny", "reason": ""},
        follow_redirects=True,
    )
    assert "Give a reason when you deny a request" in no_reason.get_data(as_text=True)
    early = coordinator.post(
        f"/review/tool-requests/{request_id}/decide",
        data={"csrf_token": token, "action": "fulfil"},
        follow_redirects=True,
    )
    assert "Only an approved request can be marked fulfilled" in early.get_data(as_text=True)
    coordinator.post(
        f"/review/tool-requests/{request_id}/decide",
        data={"csrf_token": token, "action": "approve", "reason": "Enrolled; CISA will email you."},
    )
    coordinator.post(
        f"/review/tool-requests/{request_id}/decide", data={"csrf_token": token, "action": "fulfil"}
    )
    with app.app_context():
        row = db.session.get(ToolRequest, request_id)
        assert row is not None and row.status is ToolRequestStatus.FULFILLED
        assert row.decision_reason == "Enrolled; CISA will email you."
    operator = app.test_client()
    login(operator, world.operator_a)
    index = operator.get("/assessments/").get_data(as_text=True)
    assert "Fulfilled" in index and "Enrolled; CISA will email you." in index
    # Another jurisdiction's coordinator cannot decide it; an operator cannot either.
    stranger = app.test_client()
    login(stranger, world.coordinator_y)
    stranger_list = stranger.get("/review/tool-requests?status=all").get_data(as_text=True)
    assert f"#{request_id}" not in stranger_list and "SENTINEL-A" not in stranger_list
    other = stranger.post(
        f"/review/tool-requests/{request_id}/decide",
        data={
            "csrf_token": csrf_token(stranger.get("/").get_data(as_text=True)),
            "action": "deny",
            "reason": "x",
        },
    )
    assert other.status_code == 404
    assert (
        operator.post(
            f"/review/tool-requests/{request_id}/decide",
            data={"csrf_token": csrf_token(index), "action": "deny", "reason": "x"},
        ).status_code
        == 403
    )


def test_tool_request_list_pages_through_every_request(app: Flask, world: World) -> None:
    """More requests than a page holds: every one is reachable, oldest first, none twice
    (the list used to stop at 200 without saying so)."""
    from datetime import timedelta

    from portal.models import utcnow
    from portal.review.queue import REQUEST_PAGE_SIZE

    a_id = submit_assessment(app, world)
    total = REQUEST_PAGE_SIZE + 5
    start_at = utcnow() - timedelta(days=1)
    with app.app_context():
        for index in range(total):
            # Pairs share a timestamp: the cursor must break ties on the id.
            add_tool_request(world.org_a, a_id, created_at=start_at + timedelta(minutes=index // 2))
        db.session.commit()
        expected = list(
            db.session.scalars(
                sa.select(ToolRequest.id).order_by(ToolRequest.created_at, ToolRequest.id)
            )
        )
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        # A server whose time zone is not UTC: the cursor's timestamp must still compare as
        # UTC against the naive-UTC column (it once went in as timestamptz and shifted 6 h).
        def chicago(connection: Any, record: Any) -> None:
            connection.execute("SET TIME ZONE 'America/Chicago'")
            connection.commit()

        sa.event.listen(engine, "connect", chicago)
        engine.dispose()
    seen: list[int] = []
    url = "/review/tool-requests?status=submitted"
    pages = 0
    while url and pages < 4:  # (two are expected; a broken cursor could loop for ever)
        html = coordinator.get(url).get_data(as_text=True)
        assert f"Submitted ({total})" in html and f"All ({total})" in html
        seen += [int(i) for i in re.findall(r'href="/tool-requests/(\d+)"', html)]
        found = re.search(r'<a [^>]*href="([^"]*after=[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
        pages += 1
        if pages > 1:
            assert "First page" in html
    if engine.dialect.name == "postgresql":
        sa.event.remove(engine, "connect", chicago)
        engine.dispose()
    assert pages == 2 and seen == expected
    # Another jurisdiction's coordinator sees none of them, on any page.
    other = app.test_client()
    login(other, world.coordinator_y)
    assert "/tool-requests/" not in other.get("/review/tool-requests?status=all").get_data(
        as_text=True
    )
    import base64
    import json

    def forged(*parts: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")

    for cursor in (
        "not-a-cursor",
        forged("requests", "2026-01-01T00:00:00", 5),  # no time zone
        forged("requests", "2026-01-01T00:00:00+00:00", 2**40),  # beyond any id
        forged("newest", "2026-01-01T00:00:00+00:00", 5),  # made for the queue
    ):
        bad = coordinator.get(f"/review/tool-requests?status=submitted&after={cursor}")
        assert bad.status_code == 400, cursor
        html = bad.get_data(as_text=True)
        assert "That page link is not valid any more" in html and "First page" not in html
    for cursor in (forged("newest", "2026-01-01T00:00:00", 5), forged("newest", None, 2**40)):
        assert coordinator.get(f"/review/?after={cursor}").status_code == 400
