"""Shared form pieces: field types and validators used by several blueprints."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectMultipleField, widgets
from wtforms.validators import Email, InputRequired, Length, ValidationError


class Form(FlaskForm):
    """The base of every portal form: read from a form post, never from a JSON body.

    Flask-WTF fills a form from ``request.get_json()`` when a post carries JSON instead of
    fields; the portal's pages never send that, and a JSON list or number there ended in a 500.
    A JSON post to a form's URL is now simply a post with no fields.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            # Data the view passed itself (request.args, a MultiDict) is used as given.
            if not hasattr(formdata, "getlist") and request.is_json:
                return None
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            # A {value: label} dict whose labels are translated lazily (``_l``): WTForms'
            # shorthand takes str labels only, so such choices are given as SelectChoice items
            # (the label is read in the reader's language when the field is drawn).
            given = unbound_field.kwargs.get("choices")
            if isinstance(given, dict) and not all(
                isinstance(label, str | dict) for label in given.values()
            ):
                options = {
                    **options,
                    "choices": [SelectChoice(value, label) for value, label in given.items()],
                }
            return super().bind_field(form, unbound_field, options)


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes (USWDS renders them; see templates/macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NoControlCharacters:
    """Reject NUL and other control characters that no person types into a name or an email.
    ``one_line``: line breaks and tabs too (a name that goes into a mail's text must not be able
    to start a line of its own)."""

    def __init__(self, *, one_line: bool = False) -> None:
        self.allowed = "" if one_line else "\t\r\n"

    def __call__(self, form: Any, field: Any) -> None:
        data = field.data or ""
        if isinstance(data, str) and any(
            (ord(c) < 32 or ord(c) == 127) and c not in self.allowed for c in data
        ):
            raise ValidationError(_l("Remove the invisible control characters from this field."))


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def choices(mapping: dict[Any, str]) -> dict[str, str]:
    """WTForms 3.3 takes a {value: label} dict without deprecation warnings (style-anchors §5)."""
    return {str(key): label for key, label in mapping.items()}


ENTER_YOUR_EMAIL = _l("Enter your email address.")


def email_field(label: Any, missing: Any = ENTER_YOUR_EMAIL) -> EmailField:
    """An email field with the portal's checks and messages (used by every form that asks)."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            InputRequired(missing),
            Length(max=254, message=_l("An email address can be at most 254 characters.")),
            NoControlCharacters(),
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        ],
    )
