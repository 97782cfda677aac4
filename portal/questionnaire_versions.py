"""The app's view of questionnaires: the current files, and published versions in the database.

The files are loaded and validated once, when the app starts. Each distinct content is
published as a :class:`~portal.models.QuestionnaireVersion` row holding the raw documents, so an
assessment can always be re-read and re-scored against exactly the questions it was answered on.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app

from portal.extensions import db
from portal.models import QuestionnaireVersion
from portal.questionnaire.loader import load_documents, read_documents
from portal.questionnaire.model import Questionnaire

_EXTENSION_KEY = "portal.questionnaire"


def init_app(app: Flask) -> None:
    """Read and validate the files now, so a bad file stops the app at start with its reasons."""
    documents = read_documents(app.config["QUESTIONNAIRE_DIR"])
    questionnaire = load_documents(documents)  # raises QuestionnaireInvalid with every problem
    app.extensions[_EXTENSION_KEY] = (questionnaire, documents)
    app.add_template_filter(tool_name)


def tool_name(tool_id: str) -> str:
    """A service's name from the current catalog, for pages that list services by id (an entry
    since withdrawn keeps a readable form of its id rather than the id itself)."""
    try:
        return current().tool(tool_id).name
    except KeyError:
        return tool_id.replace("_", " ").capitalize()


def current() -> Questionnaire:
    """The questionnaire in the files (what a new assessment is answered against)."""
    questionnaire: Questionnaire = current_app.extensions[_EXTENSION_KEY][0]
    return questionnaire


def publish_current() -> QuestionnaireVersion:
    """The database row for the current files, created on first use (idempotent)."""
    questionnaire, documents = current_app.extensions[_EXTENSION_KEY]
    row = db.session.scalar(
        sa.select(QuestionnaireVersion).where(
            QuestionnaireVersion.content_hash == questionnaire.content_hash
        )
    )
    if row is None:
        db.session.execute(sa.update(QuestionnaireVersion).values(is_current=False))
        row = QuestionnaireVersion(
            label=questionnaire.version,
            content_hash=questionnaire.content_hash,
            definition=documents,
            is_current=True,
        )
        db.session.add(row)
        db.session.flush()
    return row


def for_version(row: QuestionnaireVersion) -> Questionnaire:
    """The questionnaire an assessment was answered against (cached per content hash)."""
    if row.content_hash == current().content_hash:
        return current()
    cached = _snapshots.get(row.content_hash)
    if cached is None:
        # Two threads may both load a snapshot once; the result is the same, so no lock.
        cached = _snapshots[row.content_hash] = load_documents(row.definition, stored=True)
    return cached


_snapshots: dict[str, Questionnaire] = {}
