from __future__ import annotations

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.forms import CheckboxListField, Form, NoControlCharacters, email_field, strip

JUSTIFICATION_MAX = 5000


class ToolRequestForm(Form):
    tools = CheckboxListField(
        "Services to request",
        description="Only what your state gives itself, to organizations of your sector and "
        "ownership.",
        validators=[InputRequired("Choose at least one service.")],
    )
    contact_name = StringField(
        "Contact person",
        filters=[strip],
        validators=[
            InputRequired("Enter who the coordinator should contact."),
            Length(max=120, message="A name can be at most 120 characters."),
            NoControlCharacters(),
        ],
    )
    contact_email = email_field("Contact email", "Enter a contact email address.")
    contact_phone = StringField(
        "Contact phone (optional)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message="A phone number can be at most 40 characters."),
            Regexp(r"^[0-9 +().\-x]*$", message="Use digits, spaces and + ( ) - only."),
        ],
    )
    justification = TextAreaField(
        "Why you need these services",
        description="Pre-filled from your assessment; edit it in your own words if you like.",
        validators=[
            NoControlCharacters(),
            InputRequired("Explain briefly why you need these services."),
            Length(max=JUSTIFICATION_MAX, message=f"Keep it under {JUSTIFICATION_MAX} characters."),
        ],
    )
    # The reason as the portal first wrote it: left unedited, it follows the services ticked.
    justification_auto = HiddenField()
