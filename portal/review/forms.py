from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal.figures import grant
from portal.figures.bands import SCORE_BANDS
from portal.figures.counties import MEASURES, Measure
from portal.forms import Form, NoControlCharacters, choices, strip
from portal.i18n import format_day
from portal.models import SECTOR_LABELS
from portal.review import queue

TIERS = {
    "at_risk": _l("At risk"),
    "developing": _l("Developing"),
    "established": _l("Established"),
    "advanced": _l("Advanced"),
}


class QueueFilterForm(Form):
    """GET filters for the queue: read-only, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Organization name"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=100, message=_l("Search for at most 100 characters.")),
            NoControlCharacters(),
        ],
    )
    sector = SelectField(
        _l("Sector"), choices={"": _l("Any sector"), **choices(SECTOR_LABELS)}, default=""
    )
    county = StringField(
        _l("County"),
        filters=[strip],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
    )
    # A county picked on the map, by its FIPS code (hidden: the page names the county).
    fips = StringField(
        _l("County code"),
        filters=[strip],
        validators=[
            Optional(),
            Regexp(r"^\d{5}$", message=_l("A county code is five digits, such as 48201.")),
        ],
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices={
            "": _l("Any status"),
            "submitted": _l("Submitted"),
            "returned": _l("Returned"),
            "accepted": _l("Accepted"),
        },
    )
    tier = SelectField(_l("Tier"), choices={"": _l("Any tier"), **TIERS}, default="")
    score = SelectField(
        _l("Score"),
        default="",
        choices={"": _l("Any score"), **{band.key: band.label for band in SCORE_BANDS}},
    )
    submitted_from = DateField(
        _l("Submitted on or after"), validators=[Optional()], format="%Y-%m-%d"
    )
    submitted_to = DateField(
        _l("Submitted on or before"), validators=[Optional()], format="%Y-%m-%d"
    )
    sort = SelectField(
        _l("Sort by"),
        default="newest",
        choices={
            "newest": _l("Newest first"),
            "oldest": _l("Oldest first"),
            "score_low": _l("Lowest score first"),
            "score_high": _l("Highest score first"),
            "name": _l("Organization name"),
        },
    )

    def filters(self) -> queue.Filters:
        """The validated filters, for the queue page and its CSV alike."""
        return queue.Filters(
            sector=self.sector.data or "",
            county=self.county.data or "",
            county_fips=self.fips.data or "",
            status=self.status.data or "",
            tier=self.tier.data or "",
            score=self.score.data or "",
            submitted_from=self.submitted_from.data,
            submitted_to=self.submitted_to.data,
            search=self.q.data or "",
            sort=self.sort.data or "newest",
        )

    def validate_submitted_to(self, field: DateField) -> None:
        if field.data and self.submitted_from.data and field.data < self.submitted_from.data:
            raise ValidationError(_("The end date is before the start date."))


class CommentForm(Form):
    question_id = SelectField(_l("About (optional)"), validators=[Optional()])
    body = TextAreaField(
        _l("Comment for the operator"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            InputRequired(_l("Write the comment.")),
            Length(max=4000, message=_l("Keep a comment under 4,000 characters.")),
        ],
    )


class ReturnForm(Form):
    message = TextAreaField(
        _l("What needs changing"),
        description=_l(
            "The operator gets this by email and sees it at the top of the assessment. "
            "Comments you made on single answers are listed with it."
        ),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            DataRequired(_l("Say what needs changing: the operator reads this first.")),
            Length(max=4000, message=_l("Keep the message under 4,000 characters.")),
        ],
    )


class DecisionForm(Form):
    action = RadioField(
        _l("Decision"),
        choices={"approve": _l("Approve"), "deny": _l("Deny"), "fulfil": _l("Mark fulfilled")},
        validators=[InputRequired(_l("Choose a decision."))],
    )
    reason = TextAreaField(
        _l("Note to the operator (required when denying)"),
        filters=[strip],
        validators=[NoControlCharacters(), Length(max=2000)],
    )


class CountyMapForm(Form):
    """GET choices of the dashboard's county map: which measure, which state."""

    class Meta:
        csrf = False

    measure = SelectField(
        _l("Shade counties by"),
        default=Measure.MEDIAN_SCORE.value,
        choices={m.value: MEASURES[m].label for m in Measure},
    )
    state = SelectField(_l("State"), default="")  # choices: the states the person covers

    def __init__(self, *args: Any, states: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = states
        if not self.state.raw_data and states:
            self.state.data = next(iter(states))

    @property
    def chosen(self) -> Measure:
        return Measure(self.measure.data)


class MissedForm(Form):
    """GET choices of "What most organizations miss": a sector, rural or metro counties."""

    class Meta:
        csrf = False

    sector = SelectField(
        _l("Sector"), choices={"": _l("Every sector"), **choices(SECTOR_LABELS)}, default=""
    )
    place = SelectField(
        _l("Counties"),
        default="",
        choices={
            "": _l("Rural and metro"),
            "rural": _l("Rural counties (RUCC 4–9)"),
            "metro": _l("Metro counties (RUCC 1–3)"),
        },
    )


class GrantPeriodForm(Form):
    """GET: the period of the grant-reporting pack (the 12 months to today unless chosen)."""

    class Meta:
        csrf = False

    first = DateField(_l("First day"), validators=[Optional()], format="%Y-%m-%d")
    last = DateField(_l("Last day"), validators=[Optional()], format="%Y-%m-%d")

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        default = grant.default_period(today)
        # An empty box takes the day that makes a year with the other one (or the default's):
        # the form comes back with it filled in.
        given_first = self.first.raw_data and self.first.raw_data[0]
        given_last = self.last.raw_data and self.last.raw_data[0]
        if self.first.data is None and not given_first:
            last = self.last.data if given_last and self.last.data else default.last
            self.first.data, self.first.errors = last - timedelta(days=364), []
        if self.last.data is None and not given_last:
            first = self.first.data or default.first
            self.last.data, self.last.errors = min(first + timedelta(days=364), today), []

    def validate_last(self, field: DateField) -> None:
        first, last = self.first.data, field.data
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError(_("The last day comes before the first day."))
        if last > self.today:
            today = format_day(self.today)
            raise ValidationError(_("The last day is after today (%(day)s).", day=today))
        if (last - first).days > grant.MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of at most 5 years."))

    @property
    def period(self) -> grant.Period:
        assert self.first.data is not None and self.last.data is not None
        return grant.Period(self.first.data, self.last.data)
