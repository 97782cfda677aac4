"""Forms for registering, signing in and accepting an invitation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from portal.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NotCommon
from portal.auth.service import NewOrganization
from portal.counties import unknown_county_message
from portal.forms import CheckboxListField, Form, NoControlCharacters, email_field, strip
from portal.geography import STATES
from portal.models import OWNERSHIP_LABELS, SECTOR_LABELS, SIZE_LABELS


def _options(labels: Mapping[Any, Any], blank: Any = None) -> list[SelectChoice]:
    """A field's options as SelectChoice: WTForms reads a {value: label} dict whose labels are
    not plain strings (translated lazily) as option groups."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(str(value), label) for value, label in labels.items()]


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("Password"),
        description=_l(
            "At least %(num)d characters. A short sentence is easy to remember and hard to guess.",
            num=MIN_PASSWORD_LENGTH,
        ),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters.",
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
            NotCommon(),
        ],
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            InputRequired(_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )
    return password, confirm


def _full_name_field() -> StringField:
    return StringField(
        _l("Your full name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter your name.")),
            Length(max=120, message=_l("A name can be at most 120 characters.")),
            NoControlCharacters(),
        ],
    )


class OrganizationFields(Form):
    """What the portal knows of an organization: asked at registration, and by an admin."""

    organization_name = StringField(
        _l("Organization name"),
        description=_l("As your staff and your state would recognise it."),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the name of the organization.")),
            Length(max=200, message=_l("An organization name can be at most 200 characters.")),
            NoControlCharacters(),
        ],
    )
    sectors = CheckboxListField(
        _l("What does your organization operate?"),
        description=_l("Choose every one that applies; each adds questions specific to it."),
        choices=_options(SECTOR_LABELS),
        validators=[InputRequired(_l("Choose at least one sector."))],
    )
    ownership = RadioField(
        _l("Who owns your organization?"),
        description=_l("Some free services are only for public (government) bodies."),
        choices=_options(OWNERSHIP_LABELS),
        validators=[InputRequired(_l("Choose who owns the organization."))],
    )
    size_band = SelectField(
        _l("How many staff do you have?"),
        choices=_options(SIZE_LABELS, _l("- Select -")),
        validators=[InputRequired(_l("Choose how many staff it has."))],
    )
    state = SelectField(
        _l("State or territory"),
        choices=_options(STATES, _l("- Select -")),
        validators=[InputRequired(_l("Choose the state or territory."))],
    )
    county = StringField(
        _l("County (or parish, borough)"),
        description=_l(
            "As it is written on a map, such as “Franklin” or “Orleans Parish”. Your "
            "state or county coordinator sees assessments by county."
        ),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the county.")),
            Length(max=100, message=_l("A county name can be at most 100 characters.")),
            NoControlCharacters(),
        ],
    )

    def validate_county(self, field: StringField) -> None:
        # A county the map knows (#33): coordinators see their organizations by county.
        message = unknown_county_message(self.state.data or "", field.data or "")
        if message:
            raise ValidationError(message)

    def new_organization(self) -> NewOrganization:
        return NewOrganization(
            name=self.organization_name.data or "",
            sectors=list(self.sectors.data or []),
            ownership=self.ownership.data or "",
            size_band=self.size_band.data or "",
            state=self.state.data or "",
            county=self.county.data or "",
        )


class RegistrationForm(OrganizationFields):
    full_name = _full_name_field()
    email = email_field(_l("Work email address"))
    password, confirm = _new_password_fields()
    # The choices are the languages the deployment offers (set by the view, which hides the
    # question when it offers one).
    language = RadioField(
        _l("Language of your organization’s reports and messages"),
        description=_l(
            "Plans, board summaries and mail come out in it unless someone picks another. "
            "Each person can still read the portal in the language they choose."
        ),
        choices=[],  # an unknown code is refused as not a choice; none: the page's language
    )


class LoginForm(Form):
    # No format check here: a sign-in only has to match an account, and a format message would
    # tell an attacker something the generic failure message does not.
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address can be at most 254 characters.")),
            NoControlCharacters(),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )


class AcceptInvitationForm(Form):
    full_name = _full_name_field()
    password, confirm = _new_password_fields()


class ChangePasswordForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(_l("Enter your current password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )
    password, confirm = _new_password_fields()


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the email address you sign in with.")),
            Length(max=254, message=_l("An email address can be at most 254 characters.")),
            NoControlCharacters(),
        ],
    )


class NewPasswordForm(Form):
    password, confirm = _new_password_fields()


class ChangeEmailForm(Form):
    email = email_field(_l("New email address"), _l("Enter the new email address."))
    current = PasswordField(
        _l("Your password"),
        description=_l("To make sure it is you."),
        validators=[
            InputRequired(_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )


class ConfirmForm(Form):
    """A button that confirms what a mailed link asks (a link alone changes nothing: mail
    scanners follow links)."""


class SecondFactorCodeForm(Form):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        description=_l(
            "The 6 digits your authenticator app shows now, or one of your recovery "
            "codes (like ABCD-EFGH-JKLM-NPQR-STUV-WXYZ)."
        ),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the code from your authenticator app, or a recovery code.")),
            Length(max=40, message=_l("A recovery code has 24 letters and digits.")),
        ],
    )


class AddAppForm(Form):
    name = StringField(
        _l("A name for it"),
        description=_l("So that you can tell your factors apart later, for example “Pat's phone”."),
        default=_l("Authenticator app"),
        filters=[strip],
        validators=[
            InputRequired(_l("Give it a name, for example “Pat's phone”.")),
            Length(max=60, message=_l("A name can be at most 60 characters.")),
            NoControlCharacters(),
        ],
    )
    code = StringField(
        _l("The 6-digit code your app shows now"),
        filters=[strip],
        validators=[
            InputRequired(_l("Type the 6-digit code your app shows, to show it works.")),
            Length(max=12, message=_l("The code has 6 digits.")),
        ],
    )


class PasswordAgainForm(Form):
    """Your password again, before a change to how you sign in."""

    current = PasswordField(
        _l("Your password"),
        validators=[
            InputRequired(_l("Type your password to confirm it is you.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )


class PasskeyForm(Form):
    """What the browser's passkey ceremony answered (filled in by static/js/passkey.js)."""

    credential = HiddenField(
        validators=[
            InputRequired(_l("Your browser sent no answer from a passkey.")),
            Length(max=20_000, message=_l("That answer is too long.")),
        ]
    )


class AddPasskeyForm(PasskeyForm):
    name = StringField(
        _l("A name for it"),
        description=_l(
            "So that you can tell your keys apart later, for example “YubiKey on my "
            "keyring” or “Laptop”."
        ),
        default=_l("Passkey"),
        filters=[strip],
        validators=[
            InputRequired(_l("Give it a name.")),
            Length(max=60, message=_l("A name can be at most 60 characters.")),
            NoControlCharacters(),
        ],
    )
