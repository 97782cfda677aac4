"""Shared form pieces: field types and validators used by several blueprints."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, SelectMultipleField, widgets
from wtforms.validators import Email, InputRequired, Length, ValidationError


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes (USWDS renders them; see templates/macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NoControlCharacters:
    """Reject NUL and other control characters that no person types into a name or an email."""

    def __call__(self, form: Any, field: Any) -> None:
        data = field.data or ""
        if isinstance(data, str) and any(ord(c) < 32 and c not in "\t\r\n" for c in data):
            raise ValidationError("Remove the invisible control characters from this field.")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def choices(mapping: dict[Any, str]) -> dict[str, str]:
    """WTForms 3.3 takes a {value: label} dict without deprecation warnings (style-anchors §5)."""
    return {str(key): label for key, label in mapping.items()}


def email_field(label: str, missing: str = "Enter your email address.") -> EmailField:
    """An email field with the portal's checks and messages (used by every form that asks)."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            InputRequired(missing),
            Length(max=254, message="An email address can be at most 254 characters."),
            NoControlCharacters(),
            Email("Enter an email address like name@example.org.", check_deliverability=False),
        ],
    )
