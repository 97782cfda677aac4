"""A tool-access request's life, owned here: sent within limits that keep a coordinator's queue
usable, then decided (approved, denied with a reason, fulfilled) through one transition table.

A service can be asked for once at a time: while an organization's request for it is open
(submitted or approved), it cannot be requested again. And an organization sends at most
:data:`MAX_NEW_PER_DAY` requests in 24 hours, however many services it qualifies for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.extensions import db
from portal.figures.cache import figures_changed_on_commit
from portal.mail import notices
from portal.mail.compose import one_line, typed
from portal.models import (
    Assessment,
    Organization,
    ToolRequest,
    ToolRequestItem,
    ToolRequestStatus,
    User,
    utcnow,
)
from portal.questionnaire.model import Questionnaire
from portal.questionnaire.translation import in_language
from portal.remediation import ToolMatch
from portal.templating import local_date, state_time_zone, status_label
from portal.transitions import TransitionTable

OPEN_STATUSES = (ToolRequestStatus.SUBMITTED, ToolRequestStatus.APPROVED)
MAX_NEW_PER_DAY = 5
DAY = timedelta(hours=24)


class TransitionRefused(ValueError):
    """The decision does not fit the request's status (or lacks its reason); the message says
    why."""


# Every path that moves a request asks this table.
TRANSITIONS = TransitionTable(
    moves={
        ("submitted", "approve"): "approved",
        ("submitted", "deny"): "denied",
        ("approved", "fulfil"): "fulfilled",
    },
    refusals={
        "approve": "Only a submitted request can be approved; this one is {status}.",
        "deny": "Only a submitted request can be denied; this one is {status}.",
        "fulfil": "Only an approved request can be marked fulfilled; this one is {status}.",
    },
    refused=TransitionRefused,
)
# The same refusals in the reader's language, the status named by its label (the table's own
# words above are English, with the stored status value).
REFUSALS = {
    "approve": _l("Only a submitted request can be approved; this one is %(status)s."),
    "deny": _l("Only a submitted request can be denied; this one is %(status)s."),
    "fulfil": _l("Only an approved request can be marked fulfilled; this one is %(status)s."),
}


def tool_request_transition(status: str, action: str, reason: str = "") -> str:
    try:
        new = TRANSITIONS.next_status(status, action)
    except TransitionRefused:
        if action not in REFUSALS:
            raise
        raise TransitionRefused(
            str(REFUSALS[action]) % {"status": status_label(status).lower()}
        ) from None
    if action == "deny" and not reason.strip():
        raise TransitionRefused(_("Give a reason when you deny a request; the operator sees it."))
    return new


class RequestRefused(ValueError):
    """The request cannot be sent; the message says why and what to do instead."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def gap_titles(questionnaire: Questionnaire, match: ToolMatch) -> list[str]:
    """The actions of the gaps a service helps with, critical ones first ("why you")."""
    questions = [questionnaire.question(qid) for qid in match.gap_question_ids]
    questions.sort(key=lambda q: not q.critical)
    return [q.action.title for q in questions if q.action is not None]


def preselected(matches: list[ToolMatch]) -> list[str]:
    """What the form ticks at first: the services that help with a critical gap, else the best
    match (the list is ranked: critical first, then by how many gaps each helps with)."""
    critical = [m.tool.id for m in matches if m.critical]
    return critical or [m.tool.id for m in matches[:1]]


MAX_GAP_LINES = 15  # a reason a coordinator reads; the plan lists every gap
NO_GAP_LINE = _l("none in particular: these services are open to organizations like ours")


def justification(
    questionnaire: Questionnaire, assessment: Assessment, matches: list[ToolMatch]
) -> str:
    """The pre-filled reason: the score, and the gaps of the ticked services only."""
    # The day on the organization's clock, as its pages and plan say it.
    zone = state_time_zone(assessment.organization.state)
    when = local_date(assessment.submitted_at, zone)
    tier = questionnaire.tier(assessment.overall_tier).label if assessment.overall_tier else ""
    lines = [
        _(
            "Our cyber readiness self-assessment of %(date)s scored %(score)s out of 100 "
            "(%(tier)s). We are asking for these services to close the following gaps:",
            date=when,
            score=assessment.overall_score,
            tier=tier.lower(),
        ),
    ]
    titles = list(dict.fromkeys(t for m in matches for t in gap_titles(questionnaire, m)))
    if matches and not titles:  # services open to organizations like this, whatever its gaps
        lines.append(f"- {NO_GAP_LINE}")
    lines += [f"- {title}" for title in titles[:MAX_GAP_LINES]]
    if len(titles) > MAX_GAP_LINES:
        more = len(titles) - MAX_GAP_LINES
        lines.append(
            "- "
            + ngettext(
                "and %(num)d more gap, listed in our remediation plan",
                "and %(num)d more gaps, listed in our remediation plan",
                more,
            )
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class DirectApplication:
    """A service its provider decides: where to apply, and a pre-filled email to start with."""

    match: ToolMatch
    mailto: str | None  # None when the provider takes applications on its page only


def direct_application(
    questionnaire: Questionnaire, assessment: Assessment, match: ToolMatch, user: User
) -> DirectApplication:
    """How to apply for ``match``'s service directly: a ``mailto:`` link (RFC 6068) with the
    subject the provider asks for, or one naming the organization, and a body with the
    organization, the person and the gaps it helps with. Every name typed by someone goes in
    on one line and defanged (an organization name cannot add a mail header or a link).

    Always in English, whatever the reader's language: CISA and the other providers read and
    answer in English (the page says so beside the link)."""
    if match.tool.email is None:
        return DirectApplication(match, None)
    with force_locale("en"):  # English even where a deployment offers Spanish alone
        return _english_application(in_language(questionnaire, "en"), assessment, match, user)


def _english_application(
    questionnaire: Questionnaire, assessment: Assessment, match: ToolMatch, user: User
) -> DirectApplication:
    tool = questionnaire.tool(match.tool.id)
    organization = assessment.organization
    name = typed(organization.name, 120)
    # The subject a provider asks for is kept as it is written (never translated).
    subject = tool.mail_subject or _(
        "%(service)s: request from %(name)s", service=tool.name, name=name
    )
    gaps = gap_titles(questionnaire, match)[:5]
    lines = [
        _("We would like to ask for %(service)s.", service=tool.name),
        "",
        _(
            "Organization: %(name)s (%(county)s County, %(state)s)",
            name=name,
            county=typed(organization.county, 60),
            state=organization.state,
        ),
        _(
            "Contact: %(name)s, %(email)s",
            name=typed(user.full_name, 120),
            email=one_line(user.email),
        ),
        *(["", _("It would help us with:"), *(f"- {g}" for g in gaps)] if gaps else []),
        "",
        _("[Add what the provider asks for: see the portal's note on this service.]"),
    ]
    query = urlencode({"subject": one_line(subject)}, quote_via=quote)
    body = quote("\r\n".join(lines), safe="")
    return DirectApplication(match, f"mailto:{tool.email}?{query}&body={body}")


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


def open_requests_by_tool(organization_id: int) -> dict[str, ToolRequest]:
    """Each service the organization has an open request for, with that request."""
    rows = db.session.execute(
        sa.select(ToolRequestItem.tool_id, ToolRequest)
        .join(ToolRequest, ToolRequest.id == ToolRequestItem.request_id)
        .where(
            ToolRequest.organization_id == organization_id,
            ToolRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(ToolRequest.created_at)
    )
    return {tool_id: request for tool_id, request in rows}


def sent_today(organization_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(ToolRequest.id)).where(
                ToolRequest.organization_id == organization_id,
                ToolRequest.created_at >= utcnow() - DAY,
            )
        )
        or 0
    )


def create_request(
    assessment: Assessment, user: User, tool_ids: list[str], contact: Contact, justification: str
) -> ToolRequest:
    """Add a submitted request (flushed, not committed), or raise :class:`RequestRefused`."""
    # One organization's requests are sent one at a time, so two sent at once cannot both pass
    # the limits below: an UPDATE that changes nothing takes the organization's row lock on
    # PostgreSQL and the database's write lock on SQLite (where FOR UPDATE does nothing).
    db.session.execute(
        sa.update(Organization)
        .where(Organization.id == assessment.organization_id)
        .values(id=Organization.id)
        .execution_options(synchronize_session=False)
    )
    if sent_today(assessment.organization_id) >= MAX_NEW_PER_DAY:
        raise RequestRefused(
            _(
                "Your organization has sent %(num)d requests in the last 24 hours. "
                "Wait for your coordinator to answer them, or send this one tomorrow.",
                num=MAX_NEW_PER_DAY,
            )
        )
    already = sorted(set(tool_ids) & set(open_requests_by_tool(assessment.organization_id)))
    if already:
        raise RequestRefused(
            _(
                "You already have an open request for this service; your coordinator is "
                "deciding it. Untick it to send the others."
            )
            if len(already) == 1
            else _(
                "You already have an open request for some of these services; your "
                "coordinator is deciding it. Untick it to send the others."
            ),
            field="tools",
        )
    request = ToolRequest(
        organization_id=assessment.organization_id,
        assessment_id=assessment.id,
        status=ToolRequestStatus.SUBMITTED,
        contact_name=contact.name,
        contact_email=contact.email.lower(),
        contact_phone=contact.phone,
        justification=justification.replace("\r\n", "\n"),
        created_by_id=user.id,
    )
    request.items = [ToolRequestItem(tool_id=t) for t in sorted(set(tool_ids))]
    db.session.add(request)
    db.session.flush()
    audit.record_for(request, "tool_request.submitted", actor=user, tools=sorted(set(tool_ids)))
    figures_changed_on_commit(db.session(), [])  # dashboards count requests
    notices.tool_request_submitted(request)
    return request


def decide(request: ToolRequest, action: str, reason: str, user: User) -> ToolRequestStatus:
    """A coordinator's "approve", "deny" (with a reason the operator sees) or "fulfil".
    Raises :class:`TransitionRefused` when the decision does not fit the request's status."""
    reason = reason.replace("\r\n", "\n")
    new_status = ToolRequestStatus(tool_request_transition(request.status.value, action, reason))
    before = request.status.value
    request.status = new_status
    request.decided_by_id = user.id
    request.decided_at = utcnow()
    if reason:
        request.decision_reason = reason
    audit.record_for(request, f"tool_request.{new_status.value}", actor=user, before=before)
    figures_changed_on_commit(db.session(), [])  # the dashboard counts requests by status
    notices.tool_request_decided(request, user)
    return new_status
