"""Every file handed out goes through portal/exports: the bytes a client gets, the attachment
headers, and the audit row each download leaves."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, jsonify
from flask.testing import FlaskClient

from portal.assessments import state as assessment_state
from portal.assessments import transfer
from portal.extensions import db
from portal.models import Assessment, AuditEvent
from tests.factories import World, submit_assessment
from tests.web import login


def _audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_the_json_export_is_the_apps_json_to_the_byte_and_audited(
    app: Flask, client: FlaskClient, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    response = client.get(f"/assessments/{assessment_id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="assessment-{assessment_id}.json"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    with app.test_request_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        document = transfer.export(assessment_state.load(assessment))
        document["exported_at"] = response.get_json()["exported_at"]  # the one moving part
        expected = jsonify(document).get_data()
    assert response.get_data() == expected  # compact, sorted keys, final newline
    [event] = _audited(app, "assessment.exported")
    assert event.object_id == str(assessment_id) and event.details == {"format": "json"}


def test_each_csv_export_is_an_attachment_with_its_audit_row(
    app: Flask, client: FlaskClient, world: World
) -> None:
    submit_assessment(app, world)
    login(client, world.coordinator_x)
    exports = {
        "/review/export.csv": ("review.queue_exported", "Queue"),
        "/review/dashboard/status.csv": ("review.dashboard_exported", "Dashboard"),
        "/review/exposure/affected.csv": ("exposure.exported", "Exposure"),
    }
    for url, (action, object_type) in exports.items():
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        assert response.get_data().startswith("\ufeff".encode()), url  # Excel reads UTF-8
        assert response.headers["Content-Disposition"].startswith("attachment; filename="), url
        [event] = _audited(app, action)
        assert event.object_type == object_type, url
        lines = response.get_data(as_text=True).strip().splitlines()
        assert event.details["rows"] == len(lines) - 1, url  # the header line is not a row
