from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.forms import Form, email_field


class InviteForm(Form):
    email = email_field(
        _l("Colleague's work email address"), _l("Enter your colleague's email address.")
    )
