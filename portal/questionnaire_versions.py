"""The app's view of questionnaires: the current files, and published versions in the database.

The files are loaded and validated once, when the app starts. Each distinct content is
published as a :class:`~portal.models.QuestionnaireVersion` row holding the raw documents, so an
assessment can always be re-read and re-scored against exactly the questions it was answered on.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app

from portal import i18n
from portal.extensions import db
from portal.models import QuestionnaireVersion
from portal.questionnaire.loader import load_documents, read_documents
from portal.questionnaire.model import Questionnaire
from portal.questionnaire.translation import in_language

_EXTENSION_KEY = "portal.questionnaire"


def init_app(app: Flask) -> None:
    """Read and validate the files now, so a bad file stops the app at start with its reasons."""
    documents = read_documents(app.config["QUESTIONNAIRE_DIR"])
    questionnaire = load_documents(documents)  # raises QuestionnaireInvalid with every problem
    app.extensions[_EXTENSION_KEY] = (questionnaire, documents)
    app.add_template_filter(tool_name)
    app.add_template_global(tier_label)


def tier_label(tier_id: str) -> str:
    """A tier's name in the reader's language ("At risk"); a tier since withdrawn keeps a
    readable form of its id."""
    questionnaire = current()
    try:
        return questionnaire.tier(tier_id).label
    except KeyError:
        return tier_id.replace("_", " ").capitalize()


def tool_name(tool_id: str) -> str:
    """A service's name from the current catalog, for pages that list services by id (an entry
    since withdrawn keeps a readable form of its id rather than the id itself)."""
    try:
        return current().tool(tool_id).name
    except KeyError:
        return tool_id.replace("_", " ").capitalize()


def current(language: str | None = None) -> Questionnaire:
    """The questionnaire in the files (what a new assessment is answered against), in
    ``language``, by default the reader's (the request's, or the one a report or message was
    asked in: flask_babel.force_locale). Ids, points and scores are the same in every language."""
    questionnaire: Questionnaire = current_app.extensions[_EXTENSION_KEY][0]
    return in_language(questionnaire, language or i18n.reading_language())


def publish_current() -> QuestionnaireVersion:
    """The database row for the current files, created on first use (idempotent)."""
    questionnaire, documents = current_app.extensions[_EXTENSION_KEY]
    # The row keeps the words of every language with the questions, so an assessment is read
    # later in its words even after the files move on (a corrected translation does not change
    # the content hash: it is merged into the row below).
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
    elif row.content_hash not in _translations_checked:
        # The same questions (the hash is the English's): a translation added or corrected
        # since the row was written travels with the version, merged in (a deployment without
        # a language keeps the words stored for it). Once per process: the column is large.
        _translations_checked.add(row.content_hash)
        words = {name: doc for name, doc in documents.items() if "/" in name}
        merged = {**row.definition, **words}
        if merged != row.definition:
            row.definition = merged
            _snapshots.pop(row.content_hash, None)
    return row


def for_version(row: QuestionnaireVersion, language: str | None = None) -> Questionnaire:
    """The questionnaire an assessment was answered against (cached per content hash), in
    ``language`` (default: the reader's); a version published before that language was
    translated reads in English."""
    if row.content_hash == current("en").content_hash:
        return current(language)
    cached = _snapshots.get(row.content_hash)
    if cached is None:
        # Two threads may both load a snapshot once; the result is the same, so no lock.
        cached = _snapshots[row.content_hash] = load_documents(row.definition, stored=True)
    return in_language(cached, language or i18n.reading_language())


_snapshots: dict[str, Questionnaire] = {}
_translations_checked: set[str] = set()
