from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import Form, NoControlCharacters
from portal.kev.products import CATEGORIES


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


YES_NO = {"no": "No", "yes": "Yes"}


class ProductForm(Form):
    category = SelectField(
        "What kind of product is it?",
        choices=dict(CATEGORIES),
        validators=[InputRequired("Choose what kind of product it is.")],
    )
    vendor = StringField(
        "Vendor (optional)",
        description="For example Fortinet, Microsoft, ConnectWise.",
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=120, message="A vendor name can be at most 120 characters."),
        ],
    )
    product = StringField(
        "Product",
        description="The name you know it by: FortiGate, ScreenConnect, Exchange Server, Veeam.",
        filters=[strip],
        validators=[
            InputRequired("Enter the product's name."),
            NoControlCharacters(one_line=True),
            Length(max=160, message="A product name can be at most 160 characters."),
        ],
    )
    version = StringField(
        "Version (optional)",
        description="As the product shows it, for example 7.2.8: you compare it with the "
        "vendor's advisories.",
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=60, message="A version can be at most 60 characters."),
        ],
    )
    internet_facing = RadioField(
        "Can it be reached from the internet?",
        description="A VPN, firewall, webmail or remote-access portal usually can.",
        choices=dict(YES_NO),
        default="no",
        validators=[InputRequired("Say whether it can be reached from the internet.")],
    )
    managed_by = RadioField(
        "Who looks after it?",
        choices={"us": "We do", "msp": "Our IT provider (MSP) or the vendor"},
        default="us",
        validators=[InputRequired("Say who looks after it.")],
    )
    # The catalog product the person picked among the suggestions ("none": keep as typed).
    family = HiddenField()
    choice = RadioField("Which of these is it?", choices={}, validate_choice=False)


class TriageForm(Form):
    """How one known-exploited match is settled."""

    state = RadioField(
        "Where do things stand with this flaw?",
        choices={
            "fixed": "Fixed: we run a version with the fix",
            "mitigated": "Mitigated: we applied the vendor's workaround, or took it off the "
            "internet",
            "not_affected": "Not affected: the advisory says our version or setup is not",
            "end_of_life": "End of life: no fix will come; we are replacing it, or it is cut "
            "off until then",
            "open": "Open: not settled yet",
        },
        validators=[InputRequired("Choose where things stand.")],
    )
    running_version = StringField(
        "The version you run now",
        description="As its About or status page shows it, for example 7.0.17. Needed for "
        "Fixed; it updates your list.",
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=60, message="A version can be at most 60 characters."),
        ],
    )
    note = TextAreaField(
        "Note",
        description="What you did or found, so the next person knows (needed for Mitigated and "
        "Not affected).",
        validators=[
            Optional(),
            NoControlCharacters(),
            Length(max=1000, message="Keep the note under 1,000 characters."),
        ],
    )
    revision = HiddenField()
    # The product's version the form was shown with: a stale form is refused, not applied.
    item_version = HiddenField()
    next = HiddenField()


class OlderFixedForm(Form):
    """Many older flaws at once: fixed in the version run."""

    before = SelectField("Flaws added on or before", choices=[], validate_choice=False)
    running_version = StringField(
        "are fixed in the version we run",
        filters=[strip],
        validators=[
            InputRequired("Write the version you run now."),
            NoControlCharacters(one_line=True),
            Length(max=60, message="A version can be at most 60 characters."),
        ],
    )
    item_version = HiddenField()
    next = HiddenField()
