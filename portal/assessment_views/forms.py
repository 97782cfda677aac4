"""The wizard's forms and the other posts it reads.

Section forms are built at run time from the questionnaire: a fresh class per request (never a
shared one mutated), fields created in questionnaire order so they render in that order. The
autosave body and the conflict page's choices are read here too, so views only call them.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.assessments.errors import InvalidSubmission
from portal.assessments.pending import field_key
from portal.assessments.reading import NOTE_MAX_LENGTH, small_int, storable
from portal.assessments.saving import Submitted
from portal.forms import Form, NoControlCharacters, strip
from portal.questionnaire.model import Question, Questionnaire


def _storable(form: Any, field: Any) -> None:
    if not storable(field.data or ""):
        raise ValidationError(_("Remove the invisible control characters from this note."))


def _one_character_newlines(value: Any) -> Any:
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


# HTML-safe field names: 'a__core__mfa' for the answer to core.mfa (shared with the store of
# saves kept after a login expired).
field_name = field_key


class SectionFormBase(Form):
    questions: list[Question]

    def answer_field(self, question: Question) -> Any:
        return self[field_name("a", question.id)]

    def note_field(self, question: Question) -> Any:
        return self[field_name("n", question.id)]

    def revision_field(self, question: Question) -> Any:
        return self[field_name("r", question.id)]

    def submissions(self, posted_keys: Any) -> list[Submitted]:
        """The answers this post carries: questions whose fields were sent (a question hidden
        on the page is disabled, sends nothing, and so is left exactly as stored)."""
        result = []
        for question in self.questions:
            if field_name("r", question.id) not in posted_keys:
                continue
            raw_revision = self.revision_field(question).data or "0"
            result.append(
                Submitted(
                    question_id=question.id,
                    value=self.answer_field(question).data or None,
                    note=(self.note_field(question).data or "").replace("\r\n", "\n"),
                    base_revision=small_int(raw_revision) or 0,
                )
            )
        return result


def section_form(
    questions: list[Question],
    formdata: Any = None,
    data: dict[str, Any] | None = None,
) -> SectionFormBase:

    class SectionForm(SectionFormBase):
        pass

    for question in questions:
        setattr(
            SectionForm,
            field_name("a", question.id),
            RadioField(
                question.text,
                choices=question.choices(),
                validators=[Optional()],
            ),
        )
        setattr(
            SectionForm,
            field_name("n", question.id),
            TextAreaField(
                _("Notes (optional)"),
                # Browsers count a line break as one character against maxlength but send two
                # (CR LF): count it as one here too, or a note that fitted is refused.
                filters=[_one_character_newlines],
                description=_(
                    "Up to %(max)s characters. Not shared outside your organization and its "
                    "coordinator.",
                    max=NOTE_MAX_LENGTH,
                ),
                validators=[
                    Length(
                        max=NOTE_MAX_LENGTH,
                        message=_(
                            "A note can be at most %(max)s characters; shorten it and save again.",
                            max=NOTE_MAX_LENGTH,
                        ),
                    ),
                    _storable,
                ],
            ),
        )
        setattr(SectionForm, field_name("r", question.id), HiddenField())
    form = SectionForm(formdata=formdata, data=data)
    form.questions = questions
    return form


class ImportForm(Form):
    file = FileField(
        _l("Exported assessment (.json)"),
        validators=[
            FileRequired(_l("Choose a file to import.")),
            FileAllowed(["json"], _l("Choose a .json file exported from the portal.")),
        ],
    )


class AutosaveRefused(ValueError):
    """An autosave body that cannot be saved: ``code`` for the script, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def autosave_submission(payload: Any) -> Submitted:
    """One answer from an autosave body: {question_id, value, note, revision}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("question_id"), str):
        raise AutosaveRefused("invalid", _("That request could not be read."))
    value, note = payload.get("value"), payload.get("note", "")
    revision = payload.get("revision", 0)
    if (
        (value is not None and not isinstance(value, str))
        or not isinstance(note, str)
        or not isinstance(revision, int)
        or isinstance(revision, bool)
    ):
        raise AutosaveRefused("invalid", _("That request could not be read."))
    if len(note) > NOTE_MAX_LENGTH:
        raise AutosaveRefused(
            "too_long", _("Notes can be at most %(max)s characters.", max=NOTE_MAX_LENGTH)
        )
    return Submitted(payload["question_id"], value or None, note.replace("\r\n", "\n"), revision)


def conflict_choices(posted: Any, questionnaire: Questionnaire) -> list[Submitted]:
    """The answers the person chose to keep as theirs on the conflict page ("mine")."""
    keep_mine = []
    for key in posted:
        if not key.startswith("choice__"):
            continue
        question_id = key[len("choice__") :]
        if not questionnaire.has_question(question_id):
            raise InvalidSubmission(
                _("%(question)s is not a question.", question=repr(question_id))
            )
        if posted[key] == "mine":
            revision = posted.get(f"theirs_revision__{question_id}", "0")
            keep_mine.append(
                Submitted(
                    question_id,
                    posted.get(f"mine_value__{question_id}") or None,
                    posted.get(f"mine_note__{question_id}", ""),
                    small_int(revision) or 0,
                )
            )
    return keep_mine


class ReplyForm(Form):
    body = TextAreaField(
        _l("Your reply"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            DataRequired(_l("Write your reply.")),
            Length(max=4000, message=_l("Keep a reply under 4,000 characters.")),
        ],
    )
