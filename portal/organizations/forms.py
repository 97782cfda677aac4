from __future__ import annotations

from portal.forms import Form, email_field


class InviteForm(Form):
    email = email_field("Colleague's work email address", "Enter your colleague's email address.")
