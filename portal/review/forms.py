from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.figures.bands import SCORE_BANDS
from portal.forms import Form, NoControlCharacters, choices, strip
from portal.models import SECTOR_LABELS
from portal.review import queue

TIERS = {
    "at_risk": "At risk",
    "developing": "Developing",
    "established": "Established",
    "advanced": "Advanced",
}


class QueueFilterForm(Form):
    """GET filters for the queue: read-only, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        "Organization name",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=100, message="Search for at most 100 characters."),
            NoControlCharacters(),
        ],
    )
    sector = SelectField("Sector", choices={"": "Any sector", **choices(SECTOR_LABELS)}, default="")
    county = StringField(
        "County", filters=[strip], validators=[Optional(), Length(max=100), NoControlCharacters()]
    )
    status = SelectField(
        "Status",
        default="",
        choices={
            "": "Any status",
            "submitted": "Submitted",
            "returned": "Returned",
            "accepted": "Accepted",
        },
    )
    tier = SelectField("Tier", choices={"": "Any tier", **TIERS}, default="")
    score = SelectField(
        "Score",
        default="",
        choices={"": "Any score", **{band.key: band.label for band in SCORE_BANDS}},
    )
    submitted_from = DateField("Submitted on or after", validators=[Optional()], format="%Y-%m-%d")
    submitted_to = DateField("Submitted on or before", validators=[Optional()], format="%Y-%m-%d")
    sort = SelectField(
        "Sort by",
        default="newest",
        choices={
            "newest": "Newest first",
            "oldest": "Oldest first",
            "score_low": "Lowest score first",
            "score_high": "Highest score first",
            "name": "Organization name",
        },
    )

    def filters(self) -> queue.Filters:
        """The validated filters, for the queue page and its CSV alike."""
        return queue.Filters(
            sector=self.sector.data or "",
            county=self.county.data or "",
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
            raise ValidationError("The end date is before the start date.")


class CommentForm(Form):
    question_id = SelectField("About (optional)", validators=[Optional()])
    body = TextAreaField(
        "Comment for the operator",
        filters=[strip],
        validators=[
            NoControlCharacters(),
            InputRequired("Write the comment."),
            Length(max=4000, message="Keep a comment under 4,000 characters."),
        ],
    )


class ReturnForm(Form):
    message = TextAreaField(
        "What needs changing",
        description="The operator gets this by email and sees it at the top of the assessment. "
        "Comments you made on single answers are listed with it.",
        filters=[strip],
        validators=[
            NoControlCharacters(),
            DataRequired("Say what needs changing: the operator reads this first."),
            Length(max=4000, message="Keep the message under 4,000 characters."),
        ],
    )


class DecisionForm(Form):
    action = RadioField(
        "Decision",
        choices={"approve": "Approve", "deny": "Deny", "fulfil": "Mark fulfilled"},
        validators=[InputRequired("Choose a decision.")],
    )
    reason = TextAreaField(
        "Note to the operator (required when denying)",
        filters=[strip],
        validators=[NoControlCharacters(), Length(max=2000)],
    )
