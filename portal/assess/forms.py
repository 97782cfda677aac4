"""Forms built at run time from the questionnaire: a fresh class per request (never a shared one
mutated), fields created in questionnaire order so they render in that order."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from portal.assess.service import NOTE_MAX_LENGTH, Submitted, small_int, storable
from portal.forms import Form
from portal.questionnaire.model import Question


def _storable(form: Any, field: Any) -> None:
    if not storable(field.data or ""):
        raise ValidationError("Remove the invisible control characters from this note.")


def field_name(prefix: str, question_id: str) -> str:
    """HTML-safe field names: 'a__core__mfa' for the answer to core.mfa."""
    return f"{prefix}__{question_id.replace('.', '__')}"


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
    *,
    csrf: bool = True,
) -> SectionFormBase:
    """``csrf=False`` only to check the fields of a post whose token already failed, before
    keeping them for their owner (never to save)."""

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
                "Notes (optional)",
                description=f"Up to {NOTE_MAX_LENGTH} characters. Not shared outside your "
                "organization and its coordinator.",
                validators=[
                    Length(
                        max=NOTE_MAX_LENGTH,
                        message=f"A note can be at most {NOTE_MAX_LENGTH} characters; "
                        "shorten it and save again.",
                    ),
                    _storable,
                ],
            ),
        )
        setattr(SectionForm, field_name("r", question.id), HiddenField())
    form = SectionForm(formdata=formdata, data=data, meta={"csrf": csrf})
    form.questions = questions
    return form


class ImportForm(Form):
    file = FileField(
        "Exported assessment (.json)",
        validators=[
            FileRequired("Choose a file to import."),
            FileAllowed(["json"], "Choose a .json file exported from the portal."),
        ],
    )
