"""An assessment answered on an earlier questionnaire version still opens everywhere: the
format gained fields since (a tool's kind and checked date, a critical question's rule), and a
stored version must read back with their defaults instead of failing."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Answer, Assessment, QuestionnaireVersion
from portal.questionnaire.loader import content_hash, load_documents
from tests.factories import World, submit_assessment
from tests.web import login

VERSION_2026_1 = Path(__file__).parent / "data" / "questionnaire-2026.1.json"


def test_the_2026_1_definition_loads_as_a_stored_version() -> None:
    documents = json.loads(VERSION_2026_1.read_text(encoding="utf-8"))
    questionnaire = load_documents(documents, stored=True)
    assert questionnaire.version == "2026.1"
    assert all(t.kind == "service" and t.checked is None for t in questionnaire.tools)
    assert any(
        q.critical and q.critical_rule is None
        for q in questionnaire.questions_in(tuple(m.id for m in questionnaire.modules))
    )


def test_an_assessment_on_2026_1_opens_as_results_plan_request_and_review(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    app.config["PDF_CACHE_DIR"] = str(tmp_path / "pdf-cache")
    assessment_id = submit_assessment(app, world)
    documents = json.loads(VERSION_2026_1.read_text(encoding="utf-8"))
    with app.app_context():
        old = QuestionnaireVersion(
            label="2026.1",
            content_hash=content_hash(documents),
            definition=documents,
            is_current=False,
        )
        db.session.add(old)
        db.session.flush()
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.id == assessment_id)
            .values(questionnaire_version_id=old.id)
        )
        # As answered on 2026.1: no answers to questions added since.
        known = {
            q.id
            for q in load_documents(documents, stored=True).questions_in(
                ("core", "hospital", "bank", "water", "electric")
            )
        }
        db.session.execute(
            sa.delete(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id.not_in(known)
            )
        )
        db.session.commit()
    try:
        login(client, world.operator_a)
        for url in (
            f"/assessments/{assessment_id}/results",
            f"/assessments/{assessment_id}/plan.pdf",
            f"/assessments/{assessment_id}/tool-requests/new",
            f"/assessments/{assessment_id}/export.json",
        ):
            assert client.get(url).status_code == 200, url
        coordinator = app.test_client()
        login(coordinator, world.coordinator_x)
        assert coordinator.get(f"/review/assessments/{assessment_id}").status_code == 200
    finally:
        app.config["PDF_CACHE_DIR"] = None
