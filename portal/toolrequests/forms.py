from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.forms import CheckboxListField, Form, NoControlCharacters, email_field, strip

JUSTIFICATION_MAX = 5000


class ToolRequestForm(Form):
    tools = CheckboxListField(
        _l("Services to request"),
        description=_l(
            "Only what your state gives itself, to organizations of your sector and ownership."
        ),
        validators=[InputRequired(_l("Choose at least one service."))],
    )
    contact_name = StringField(
        _l("Contact person"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter who the coordinator should contact.")),
            Length(max=120, message=_l("A name can be at most 120 characters.")),
            NoControlCharacters(),
        ],
    )
    contact_email = email_field(_l("Contact email"), _l("Enter a contact email address."))
    contact_phone = StringField(
        _l("Contact phone (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message=_l("A phone number can be at most 40 characters.")),
            Regexp(r"^[0-9 +().\-x]*$", message=_l("Use digits, spaces and + ( ) - only.")),
        ],
    )
    justification = TextAreaField(
        _l("Why you need these services"),
        description=_l("Pre-filled from your assessment; edit it in your own words if you like."),
        validators=[
            NoControlCharacters(),
            InputRequired(_l("Explain briefly why you need these services.")),
            Length(
                max=JUSTIFICATION_MAX,
                message=_l("Keep it under %(max)d characters.", max=JUSTIFICATION_MAX),
            ),
        ],
    )
    # The reason as the portal first wrote it: left unedited, it follows the services ticked.
    justification_auto = HiddenField()
