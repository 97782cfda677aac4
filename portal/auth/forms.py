"""Forms for registering, signing in and accepting an invitation."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from portal.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NotCommon
from portal.auth.service import NewOrganization
from portal.counties import unknown_county_message
from portal.forms import CheckboxListField, Form, NoControlCharacters, choices, email_field, strip
from portal.geography import STATES
from portal.models import OWNERSHIP_LABELS, SECTOR_LABELS, SIZE_LABELS


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        "Password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A short sentence is easy to "
        "remember and hard to guess.",
        validators=[
            InputRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters.",
            ),
            NotCommon(),
        ],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            InputRequired("Type the password again."),
            EqualTo("password", message="The two passwords do not match."),
        ],
    )
    return password, confirm


def _full_name_field() -> StringField:
    return StringField(
        "Your full name",
        filters=[strip],
        validators=[
            InputRequired("Enter your name."),
            Length(max=120, message="A name can be at most 120 characters."),
            NoControlCharacters(),
        ],
    )


class OrganizationFields(Form):
    """What the portal knows of an organization: asked at registration, and by an admin."""

    organization_name = StringField(
        "Organization name",
        description="As your staff and your state would recognise it.",
        filters=[strip],
        validators=[
            InputRequired("Enter the name of the organization."),
            Length(max=200, message="An organization name can be at most 200 characters."),
            NoControlCharacters(),
        ],
    )
    sectors = CheckboxListField(
        "What does your organization operate?",
        description="Choose every one that applies; each adds questions specific to it.",
        choices=choices(SECTOR_LABELS),
        validators=[InputRequired("Choose at least one sector.")],
    )
    ownership = RadioField(
        "Who owns your organization?",
        description="Some free services are only for public (government) bodies.",
        choices=choices(OWNERSHIP_LABELS),
        validators=[InputRequired("Choose who owns the organization.")],
    )
    size_band = SelectField(
        "How many staff do you have?",
        choices={"": "- Select -", **choices(SIZE_LABELS)},
        validators=[InputRequired("Choose how many staff it has.")],
    )
    state = SelectField(
        "State or territory",
        choices={"": "- Select -", **STATES},
        validators=[InputRequired("Choose the state or territory.")],
    )
    county = StringField(
        "County (or parish, borough)",
        description="As it is written on a map, such as “Franklin” or “Orleans Parish”. Your "
        "state or county coordinator sees assessments by county.",
        filters=[strip],
        validators=[
            InputRequired("Enter the county."),
            Length(max=100, message="A county name can be at most 100 characters."),
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
    email = email_field("Work email address")
    password, confirm = _new_password_fields()


class LoginForm(Form):
    # No format check here: a sign-in only has to match an account, and a format message would
    # tell an attacker something the generic failure message does not.
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            InputRequired("Enter your email address."),
            Length(max=254, message="An email address can be at most 254 characters."),
            NoControlCharacters(),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password."),
            Length(max=MAX_PASSWORD_LENGTH, message="That password is too long."),
        ],
    )


class AcceptInvitationForm(Form):
    full_name = _full_name_field()
    password, confirm = _new_password_fields()


class ChangePasswordForm(Form):
    current = PasswordField(
        "Current password",
        validators=[
            InputRequired("Enter your current password."),
            Length(max=MAX_PASSWORD_LENGTH, message="That password is too long."),
        ],
    )
    password, confirm = _new_password_fields()


class ForgotPasswordForm(Form):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            InputRequired("Enter the email address you sign in with."),
            Length(max=254, message="An email address can be at most 254 characters."),
            NoControlCharacters(),
        ],
    )


class NewPasswordForm(Form):
    password, confirm = _new_password_fields()


class ChangeEmailForm(Form):
    email = email_field("New email address", "Enter the new email address.")
    current = PasswordField(
        "Your password",
        description="To make sure it is you.",
        validators=[
            InputRequired("Enter your password."),
            Length(max=MAX_PASSWORD_LENGTH, message="That password is too long."),
        ],
    )


class ConfirmForm(Form):
    """A button that confirms what a mailed link asks (a link alone changes nothing: mail
    scanners follow links)."""


class SecondFactorCodeForm(Form):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The 6 digits your authenticator app shows now, or one of your recovery "
        "codes (like ABCD-EFGH-JKLM-NPQR-STUV-WXYZ).",
        filters=[strip],
        validators=[
            InputRequired("Enter the code from your authenticator app, or a recovery code."),
            Length(max=40, message="A recovery code has 24 letters and digits."),
        ],
    )


class AddAppForm(Form):
    name = StringField(
        "A name for it",
        description="So that you can tell your factors apart later, for example “Pat's phone”.",
        default="Authenticator app",
        filters=[strip],
        validators=[
            InputRequired("Give it a name, for example “Pat's phone”."),
            Length(max=60, message="A name can be at most 60 characters."),
            NoControlCharacters(),
        ],
    )
    code = StringField(
        "The 6-digit code your app shows now",
        filters=[strip],
        validators=[
            InputRequired("Type the 6-digit code your app shows, to show it works."),
            Length(max=12, message="The code has 6 digits."),
        ],
    )


class PasswordAgainForm(Form):
    """Your password again, before a change to how you sign in."""

    current = PasswordField(
        "Your password",
        validators=[
            InputRequired("Type your password to confirm it is you."),
            Length(max=MAX_PASSWORD_LENGTH, message="That password is too long."),
        ],
    )


class PasskeyForm(Form):
    """What the browser's passkey ceremony answered (filled in by static/js/passkey.js)."""

    credential = HiddenField(
        validators=[
            InputRequired("Your browser sent no answer from a passkey."),
            Length(max=20_000, message="That answer is too long."),
        ]
    )


class AddPasskeyForm(PasskeyForm):
    name = StringField(
        "A name for it",
        description="So that you can tell your keys apart later, for example “YubiKey on my "
        "keyring” or “Laptop”.",
        default="Passkey",
        filters=[strip],
        validators=[
            InputRequired("Give it a name."),
            Length(max=60, message="A name can be at most 60 characters."),
            NoControlCharacters(),
        ],
    )
