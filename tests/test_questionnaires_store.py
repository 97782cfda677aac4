"""Published questionnaire versions: a snapshot per content, re-read for old assessments."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal import questionnaire_versions
from portal.extensions import db
from portal.models import QuestionnaireVersion


def test_publish_is_idempotent_and_snapshot_reloads(app: Flask) -> None:
    with app.app_context():
        first = questionnaire_versions.publish_current()
        second = questionnaire_versions.publish_current()
        db.session.commit()
        assert first.id == second.id
        assert first.is_current and first.label == "2026.5"
        assert db.session.scalar(sa.select(sa.func.count(QuestionnaireVersion.id))) == 1
        # An older version stored in the database is re-read from its snapshot, not the files.
        definition = dict(first.definition)
        core = dict(definition["core.yaml"])
        core["title"] = "Cross-sector core (2025 wording)"
        definition["core.yaml"] = core
        old = QuestionnaireVersion(label="2025.9", content_hash="0" * 64, definition=definition)
        db.session.add(old)
        db.session.commit()
        loaded = questionnaire_versions.for_version(old)
        assert loaded.module("core").title == "Cross-sector core (2025 wording)"
        assert questionnaire_versions.for_version(first) is questionnaire_versions.current()
