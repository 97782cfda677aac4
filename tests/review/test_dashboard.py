"""Regional dashboard, CSV exports (scoped and formula-safe), and the k >= 5 peer rule."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.auth import service as accounts
from portal.exports.spreadsheet import neutralise, to_csv
from portal.extensions import db
from portal.models import ToolRequest, User
from tests.factories import PASSWORD, World, add_tool_request, submit_assessment, submit_for_b
from tests.web import count_queries, login


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_neutralise_formula_cells() -> None:
    for dangerous in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"):
        assert neutralise(dangerous) == "'" + dangerous
    # A tab or CR both starts a formula and splits the cell: each piece is neutralised.
    assert neutralise("\t=1") == "'\t'=1"
    assert neutralise("\r=1") == "'\r'=1"
    assert neutralise("Pine County") == "Pine County"
    assert neutralise(-5) == -5  # numbers are numbers
    assert to_csv(["a"], [["=1+1"]]) == "a\r\n'=1+1\r\n"


def test_queue_csv_is_scoped_and_neutralised(app: Flask, world: World) -> None:
    with app.app_context():
        from portal.models import Organization

        org = db.session.get(Organization, world.org_a)
        assert org is not None
        org.name = '=HYPERLINK("http://evil.example","SENTINEL-A")'
        org.name_key = org.name.casefold()
        db.session.commit()
    submit_assessment(app, world)
    submit_for_b(app, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    response = x.get("/review/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response.get_data())
    assert rows[0][:3] == ["assessment_id", "organization", "state"]
    assert len(rows) == 2
    assert rows[1][1].startswith("'=HYPERLINK(")
    body = response.get_data(as_text=True)
    assert "SENTINEL-B" not in body
    bad = x.get("/review/export.csv?sector=nuclear")
    assert bad.status_code == 400


def test_dashboard_is_scoped_per_jurisdiction(app: Flask, world: World) -> None:
    submit_assessment(app, world)
    submit_for_b(app, world)
    x, y = app.test_client(), app.test_client()
    login(x, world.coordinator_x)
    login(y, world.coordinator_y)
    x_page = x.get("/review/dashboard").get_data(as_text=True)
    assert "Pine, OH" in x_page and "Lake, IN" not in x_page
    assert "Weakest priorities by sector and county" in x_page
    for table in ("status", "sectors", "heatmap", "critical", "tools"):
        x_csv = x.get(f"/review/dashboard/{table}.csv").get_data(as_text=True)
        y_csv = y.get(f"/review/dashboard/{table}.csv").get_data(as_text=True)
        assert "Lake" not in x_csv and "water" not in x_csv, table
        assert "Pine" not in y_csv and "hospital" not in y_csv, table
    status = dict(rows_of(x.get("/review/dashboard/status.csv").get_data())[1:])
    assert status == {"not started": "0", "draft": "0", "submitted": "1", "accepted": "0"}
    heat = rows_of(x.get("/review/dashboard/heatmap.csv").get_data())
    assert heat[1][:3] == ["hospital", "Pine, OH", "1"]


def _another_hospital(app: Flask, index: int) -> SimpleNamespace:
    with app.app_context():
        user = accounts.register_organization(
            accounts.NewOrganization(
                f"Peer Hospital {index}", ["hospital"], "public", "small", "KS", f"County{index}"
            ),
            f"Peer {index}",
            f"peer{index}@peers.example.org",
            PASSWORD,
        )
        db.session.commit()
        return SimpleNamespace(org_a=user.organization_id, operator_a=user.email)


def test_peer_benchmark_needs_five_organizations(app: Flask, world: World) -> None:
    own = submit_assessment(app, world)
    for index in range(3):
        submit_assessment(app, _another_hospital(app, index))  # type: ignore[arg-type]
    operator = app.test_client()
    login(operator, world.operator_a)
    four = operator.get(f"/assessments/{own}/results").get_data(as_text=True)
    assert "appear once at least 5 have submitted" in four
    assert "the median overall score is" not in four
    submit_assessment(app, _another_hospital(app, 99))  # type: ignore[arg-type]
    five = operator.get(f"/assessments/{own}/results").get_data(as_text=True)
    assert "Across <strong>5</strong> hospital or clinic organizations" in five
    assert "Sector median" in five
    with app.app_context():
        from portal.figures import queries as stats

        benchmark = stats.peer_benchmark("hospital", ["access"])
        assert benchmark is not None and benchmark.organizations == 5
        assert stats.peer_benchmark("water", ["access"]) is None
        assert db.session.scalar(sa.select(sa.func.count(User.id))) >= 9


def test_operator_sees_scores_over_time(app: Flask, world: World) -> None:
    submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    page = operator.get("/assessments/").get_data(as_text=True)
    assert "Your score over time" in page and "<svg" in page


def _queries(app: Flask, client: Any, path: str) -> int:
    count, response = count_queries(app, lambda: client.get(path))
    assert response.status_code == 200
    return int(count)


def test_lists_and_dashboards_do_not_query_once_per_row(app: Flask, world: World) -> None:

    def add_request(assessment_id: int, org_id: int) -> None:
        with app.app_context():
            add_tool_request(org_id, assessment_id)
            db.session.commit()

    def add_peers(start: int) -> None:
        for index in range(start, start + 4):
            peer = _another_hospital(app, index)
            add_request(submit_assessment(app, peer), peer.org_a)  # type: ignore[arg-type]

    own = submit_assessment(app, world)
    add_request(own, world.org_a)
    admin = app.test_client()
    login(admin, world.admin)
    operator = app.test_client()
    login(operator, world.operator_a)
    pages = (
        "/review/",
        "/review/tool-requests?status=all",
        "/review/dashboard",
        "/review/?sector=hospital&sort=score_low",
    )
    results = f"/assessments/{own}/results"  # with nationwide peer figures (five or more)

    def count_all() -> dict[str, int]:
        counts = {p: _queries(app, admin, p) for p in pages}
        counts[results] = _queries(app, operator, results)
        return counts

    add_peers(200)
    few = count_all()
    add_peers(300)
    many = count_all()
    assert many == few, (few, many)


def test_cached_dashboard_follows_decisions(app: Flask, world: World) -> None:
    from tests.web import post_form

    assessment_id = submit_assessment(app, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    status = dict(rows_of(x.get("/review/dashboard/status.csv").get_data())[1:])
    assert status["submitted"] == "1" and status["accepted"] == "0"
    page = f"/review/assessments/{assessment_id}"
    assert post_form(x, f"{page}/accept", {}, page=page).status_code == 302
    status = dict(rows_of(x.get("/review/dashboard/status.csv").get_data())[1:])
    assert status["submitted"] == "0" and status["accepted"] == "1"
    assert "Figures as of" in x.get("/review/dashboard").get_data(as_text=True)


def test_dashboard_cache_in_redis_is_shared(app: Flask, world: World, with_redis: Any) -> None:
    from portal import create_app

    submit_assessment(app, world)
    prefix = f"{app.config['PDF_QUEUE']}-cache:"
    config = {**app.config, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": app.config["REDIS_URL"],
              "CACHE_KEY_PREFIX": prefix}  # fmt: skip
    first, second = create_app(config), create_app(config)  # two processes, one Redis
    try:
        x = first.test_client()
        login(x, world.coordinator_x)
        assert "Pine, OH" in x.get("/review/dashboard").get_data(as_text=True)
        assert any(
            k.startswith(f"{prefix}figures:".encode()) and b"dashboard" in k
            for k in with_redis.scan_iter(f"{prefix}*")
        )
        y = second.test_client()
        login(y, world.coordinator_x)
        assert "Pine, OH" in y.get("/review/dashboard").get_data(as_text=True)
    finally:
        for extra in (first, second):
            with extra.app_context():
                db.engine.dispose()


def test_cached_dashboard_follows_tool_requests_sent_and_decided(app: Flask, world: World) -> None:
    """The dashboard counts requests by service and status; sending or deciding one drops the
    cached figures, as a submission does."""
    from tests.web import csrf_token, post_form

    assessment_id = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)

    def tool_rows() -> list[tuple[str, ...]]:
        csv_body = coordinator.get("/review/dashboard/tools.csv").get_data()
        return [tuple(r) for r in rows_of(csv_body)[1:]]

    assert tool_rows() == []  # now cached
    operator = app.test_client()
    login(operator, world.operator_a)
    new = f"/assessments/{assessment_id}/tool-requests/new"
    html = operator.get(new).get_data(as_text=True)
    sent = operator.post(
        new,
        data={
            "csrf_token": csrf_token(html),
            "tools": ["state_cyber_assistance"],
            "contact_name": "Pat",
            "contact_email": "pat@alpha.example.org",
            "justification": "An assessment, please.",
        },
    )
    assert sent.status_code == 302
    rows = tool_rows()
    assert len(rows) == 1 and rows[0][-2:] == ("submitted", "1"), rows
    with app.app_context():
        request_id = db.session.scalar(sa.select(sa.func.max(ToolRequest.id)))
    show = f"/tool-requests/{request_id}"
    decided = post_form(
        coordinator, f"/review/tool-requests/{request_id}/decide", {"action": "approve"}, page=show
    )
    assert decided.status_code == 302
    rows = tool_rows()
    assert len(rows) == 1 and rows[0][-2:] == ("approved", "1"), rows
