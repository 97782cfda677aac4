from __future__ import annotations

from flask_wtf import FlaskForm

from portal.forms import email_field


class InviteForm(FlaskForm):
    email = email_field("Colleague's work email address", "Enter your colleague's email address.")
