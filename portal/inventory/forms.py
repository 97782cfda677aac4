from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import Form, NoControlCharacters
from portal.kev.products import CATEGORIES


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


YES_NO = {"no": _l("No"), "yes": _l("Yes")}


class ProductForm(Form):
    category = SelectField(
        _l("What kind of product is it?"),
        # The domain's labels (marked there), translated when shown.
        choices={key: _l(label) for key, label in CATEGORIES.items()},
        validators=[InputRequired(_l("Choose what kind of product it is."))],
    )
    vendor = StringField(
        _l("Vendor (optional)"),
        description=_l("For example Fortinet, Microsoft, ConnectWise."),
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=120, message=_l("A vendor name can be at most 120 characters.")),
        ],
    )
    product = StringField(
        _l("Product"),
        description=_l(
            "The name you know it by: FortiGate, ScreenConnect, Exchange Server, Veeam."
        ),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the product's name.")),
            NoControlCharacters(one_line=True),
            Length(max=160, message=_l("A product name can be at most 160 characters.")),
        ],
    )
    version = StringField(
        _l("Version (optional)"),
        description=_l(
            "As the product shows it, for example 7.2.8: you compare it with the "
            "vendor's advisories."
        ),
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=60, message=_l("A version can be at most 60 characters.")),
        ],
    )
    internet_facing = RadioField(
        _l("Can it be reached from the internet?"),
        description=_l("A VPN, firewall, webmail or remote-access portal usually can."),
        choices=dict(YES_NO),
        default="no",
        validators=[InputRequired(_l("Say whether it can be reached from the internet."))],
    )
    managed_by = RadioField(
        _l("Who looks after it?"),
        choices={"us": _l("We do"), "msp": _l("Our IT provider (MSP) or the vendor")},
        default="us",
        validators=[InputRequired(_l("Say who looks after it."))],
    )
    # The catalog product the person picked among the suggestions ("none": keep as typed).
    family = HiddenField()
    choice = RadioField(_l("Which of these is it?"), choices={}, validate_choice=False)


class TriageForm(Form):
    """How one known-exploited match is settled."""

    state = RadioField(
        _l("Where do things stand with this flaw?"),
        choices={
            "fixed": _l("Fixed: we run a version with the fix"),
            "mitigated": _l(
                "Mitigated: we applied the vendor's workaround, or took it off the internet"
            ),
            "not_affected": _l("Not affected: the advisory says our version or setup is not"),
            "end_of_life": _l(
                "End of life: no fix will come; we are replacing it, or it is cut off until then"
            ),
            "open": _l("Open: not settled yet"),
        },
        validators=[InputRequired(_l("Choose where things stand."))],
    )
    running_version = StringField(
        _l("The version you run now"),
        description=_l(
            "As its About or status page shows it, for example 7.0.17. Needed for "
            "Fixed; it updates your list."
        ),
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(one_line=True),
            Length(max=60, message=_l("A version can be at most 60 characters.")),
        ],
    )
    note = TextAreaField(
        _l("Note"),
        description=_l(
            "What you did or found, so the next person knows (needed for Mitigated and "
            "Not affected)."
        ),
        validators=[
            Optional(),
            NoControlCharacters(),
            Length(max=1000, message=_l("Keep the note under 1,000 characters.")),
        ],
    )
    revision = HiddenField()
    # The product's version the form was shown with: a stale form is refused, not applied.
    item_version = HiddenField()
    next = HiddenField()


class OlderFixedForm(Form):
    """Many older flaws at once: fixed in the version run."""

    before = SelectField(_l("Flaws added on or before"), choices=[], validate_choice=False)
    running_version = StringField(
        _l("are fixed in the version we run"),
        filters=[strip],
        validators=[
            InputRequired(_l("Write the version you run now.")),
            NoControlCharacters(one_line=True),
            Length(max=60, message=_l("A version can be at most 60 characters.")),
        ],
    )
    item_version = HiddenField()
    next = HiddenField()
