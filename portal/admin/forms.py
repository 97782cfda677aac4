from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.auth.forms import OrganizationFields
from portal.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NotCommon
from portal.counties import unknown_county_message
from portal.forms import CheckboxListField, Form, NoControlCharacters, email_field, strip
from portal.geography import STATES


class CoordinatorForm(Form):
    full_name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the coordinator's name.")),
            Length(max=120),
            NoControlCharacters(),
        ],
    )
    email = email_field(_l("Email address"), _l("Enter the coordinator's email address."))
    password = PasswordField(
        _l("Temporary password (optional)"),
        description=_l(
            "Leave it empty: the coordinator gets a link to choose their own. If you "
            "set one, give it to them by phone; they should change it at first sign-in."
        ),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
            NotCommon(),
        ],
    )
    jurisdictions = CheckboxListField(
        _l("Jurisdictions"), validators=[InputRequired(_l("Choose at least one jurisdiction."))]
    )


class JurisdictionForm(Form):
    name = StringField(
        _l("Name"),
        description=_l('For example "Ohio" or "Southeast Ohio Region".'),
        filters=[strip],
        validators=[InputRequired(_l("Enter a name.")), Length(max=200), NoControlCharacters()],
    )
    state = SelectField(
        _l("State or territory"),
        choices={"": _l("- Select -"), **STATES},
        validators=[InputRequired(_l("Choose a state or territory."))],
    )
    counties = TextAreaField(
        _l("Counties (optional)"),
        description=_l(
            "One per line or separated by commas. Leave empty to cover the whole state."
        ),
        validators=[NoControlCharacters(), Length(max=5000)],
    )

    def validate_counties(self, field: TextAreaField) -> None:
        for county in self.county_list():
            if len(county) > 100:
                raise ValidationError(_("A county name can be at most 100 characters."))
            message = unknown_county_message(self.state.data or "", county)
            if message:
                raise ValidationError(message)

    def county_list(self) -> list[str]:
        raw = (self.counties.data or "").replace("\n", ",")
        return [part.strip() for part in raw.split(",") if part.strip()]


class OrganizationForm(OrganizationFields):
    """An admin adds an organization and invites its first operator (self-registration off)."""

    operator_email = email_field(
        _l("Email address of its first operator"),
        _l("Enter the email address of the person who will answer the assessment."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The registration form speaks to the operator ("your organization"); this one to an admin.
        self.sectors.label.text = _("What does the organization operate?")
        self.ownership.label.text = _("Who owns the organization?")
        self.size_band.label.text = _("How many staff does it have?")
        self.county.description = _("Its state or county coordinator sees assessments by county.")


class AdminInviteForm(Form):
    email = email_field(
        _l("Email address of the operator"),
        _l("Enter the email address of the person who will answer the assessment."),
    )


class DirectorySearchForm(Form):
    """GET search of organizations and operators (read-only: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name, email or organization contains"),
        filters=[strip],
        validators=[Length(max=200), NoControlCharacters()],
    )
    state = SelectField(_l("State or territory"), choices={"": _l("Any"), **STATES}, default="")


class AuditFilterForm(Form):
    """GET filters for the audit log (read-only: no CSRF token)."""

    class Meta:
        csrf = False

    action = StringField(
        _l("Action starts with"),
        filters=[strip],
        validators=[Length(max=60), NoControlCharacters()],
    )
    actor = StringField(
        _l("Who (email contains)"),
        filters=[strip],
        validators=[Length(max=254), NoControlCharacters()],
    )
    outcome = SelectField(
        _l("Outcome"),
        choices={"": _l("Any"), "ok": _l("ok"), "denied": _l("denied")},
        default="",
    )
