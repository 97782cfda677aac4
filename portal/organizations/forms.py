from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length

from portal.forms import NoControlCharacters, strip


class InviteForm(FlaskForm):
    email = EmailField(
        "Colleague's work email address",
        filters=[strip],
        validators=[
            InputRequired("Enter your colleague's email address."),
            Length(max=254, message="An email address can be at most 254 characters."),
            NoControlCharacters(),
            Email("Enter an email address like name@example.org.", check_deliverability=False),
        ],
    )
