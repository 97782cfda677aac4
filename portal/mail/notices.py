"""Who is told what, for each event of the portal.

Each function composes the messages for one event and puts them in the outbox (or, for a
coordinator who chose a daily digest, in their digest) within the caller's transaction. Optional
notices respect each person's preferences and carry a one-click unsubscribe; security messages
always go. Links point at the exact page the message is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal import questionnaire_versions
from portal.extensions import db
from portal.mail import preferences
from portal.mail.compose import Item, Message, SecretLink, link, typed
from portal.mail.outbox import queue, queue_many
from portal.models import (
    Assessment,
    DigestItem,
    Jurisdiction,
    Organization,
    Role,
    ToolRequest,
    User,
    coordinator_jurisdictions,
)
from portal.templating import plural


def _hello(name: str) -> str:
    return f"Hello {typed(name, 80)},"


def _optional(message: Message, user: User, topic: str) -> Message:
    """An optional notice: the outbox checks ``topic`` against the person's choice, and the
    message carries its one-click unsubscribe."""
    message.topic = topic
    message.unsubscribe_url = preferences.unsubscribe_url(user, topic)
    message.preferences_url = link("auth.notifications")
    return message


# --- accounts (security messages: always sent) ---------------------------------------------------


def _inviter_line(organization: Organization, inviter: User) -> str:
    """Who invites, as a recipient can judge it: the name typed (defanged, cut short) and the
    inviter's address, which the portal has confirmed."""
    by_admin = inviter.role is Role.ADMIN
    return (
        f"{typed(inviter.full_name, 60)} ({inviter.email}"
        + (", the portal's administrator" if by_admin else "")
        + f") invites you to join {typed(organization.name)} on the Readiness Portal."
    )


def invitation(
    email: str, organization: Organization, inviter: User, secret: SecretLink, invitation_id: int
) -> None:
    queue(
        Message(
            kind="invitation",
            to=email,
            subject=f"Invitation to the Readiness Portal for {typed(organization.name, 60)}",
            greeting="Hello,",
            paragraphs=[
                _inviter_line(organization, inviter),
                "The Readiness Portal is where small hospitals, banks and utilities check their "
                "cyber defenses and get a plan and free services to improve them.",
                "The link works once and for 7 days. You choose your own password. The portal "
                "never asks for a password by email.",
            ],
            action_label="Accept the invitation",
            action_url=secret.stored_url,
            secret=secret,
            invitation_id=invitation_id,
            reason="You receive this because someone entered your address to invite you. If "
            "you do not know them, ignore it: nothing happens unless you follow the link.",
        ),
        organization_id=organization.id,
    )


def invitation_to_an_account(
    user: User, organization: Organization, inviter: User, invitation_id: int
) -> None:
    """Someone invited an address that has an account already: the owner hears it (the inviter
    was answered as for any other address, so the form tells nobody who has an account)."""
    queue(
        Message(
            kind="invitation_existing",
            to=user.email,
            subject="Someone invited your address to the Readiness Portal",
            greeting=_hello(user.full_name),
            paragraphs=[
                _inviter_line(organization, inviter),
                "You already have an account with this address, and an account belongs to one "
                "organization, so nothing changed. If you should move to this organization, "
                "ask your state or local cyber coordinator.",
            ],
            action_label="Sign in",
            action_url=link("auth.login"),
            invitation_id=invitation_id,
            reason="You receive this because someone entered your address to invite you. If "
            "you do not know them, ignore it.",
        ),
        user_id=user.id,
    )


def _to_account(user: User, *, to: str | None = None, **message: Any) -> None:
    """A message about ``user``'s own account, greeting them by name (at their address unless
    ``to`` says another), filed under their id and organization."""
    queue(
        Message(to=to or user.email, greeting=_hello(user.full_name), **message),
        user_id=user.id,
        organization_id=user.organization_id,
    )


def registration_attempt(user: User) -> None:
    """Someone tried to register with an address that has an account: the owner hears it, and
    the page said the same as for a new address."""
    _to_account(
        user,
        kind="registration_existing",
        subject="Someone tried to register with your address",
        paragraphs=[
            "Someone tried to register a new organization on the Readiness Portal with "
            "this address. You already have an account, so nothing changed.",
            "If it was you, sign in instead. If you forgot your password, ask for a reset "
            "link on the sign-in page.",
        ],
        action_label="Sign in",
        action_url=link("auth.login"),
        reason="You receive this security notice because your address was entered on "
        "the registration page; it cannot be switched off.",
    )


def coordinator_welcome(user: User, set_password: SecretLink | None) -> None:
    paragraphs = [
        "An administrator has given you a coordinator's account on the Readiness Portal: you "
        "review the assessments and tool-access requests of the organizations in "
        + ", ".join(j.name for j in user.jurisdictions)
        + "."
    ]
    if set_password:
        paragraphs.append("Choose your password to start. The link works once and for 7 days.")
    queue(
        Message(
            kind="coordinator_welcome",
            to=user.email,
            subject="Your coordinator account on the Readiness Portal",
            greeting=_hello(user.full_name),
            paragraphs=paragraphs,
            action_label="Choose your password" if set_password else "Sign in",
            action_url=set_password.stored_url if set_password else link("auth.login"),
            secret=set_password,
            reason="You receive this because an administrator created an account for this address.",
        ),
        user_id=user.id,
    )


def confirm_email(user: User, secret: SecretLink) -> None:
    _to_account(
        user,
        kind="confirm_email",
        subject="Confirm your email address for the Readiness Portal",
        paragraphs=[
            "Please confirm that this is your address, so that the portal can reach you "
            "about your organization's assessments and, if you ever need it, a password "
            "reset. The link works for 7 days."
        ],
        action_label="Confirm my address",
        action_url=secret.stored_url,
        secret=secret,
        reason="You receive this because this address was used to register on the portal.",
    )


def password_reset(user: User, secret: SecretLink) -> None:
    _to_account(
        user,
        kind="password_reset",
        subject="Reset your Readiness Portal password",
        paragraphs=[
            "Someone — we hope you — asked to reset the password of your account. The link "
            "works once and for 1 hour. Choosing a new password signs you out everywhere "
            "else.",
        ],
        action_label="Choose a new password",
        action_url=secret.stored_url,
        secret=secret,
        closing=["If you did not ask for this, ignore this message: your password stays."],
        reason="You receive this because a password reset was asked for this address.",
    )


def password_changed(user: User, *, by_reset: bool) -> None:
    how = "reset with a link sent to this address" if by_reset else "changed"
    _to_account(
        user,
        kind="password_changed",
        subject="Your Readiness Portal password was changed",
        paragraphs=[
            f"The password of your account was just {how}. Every other browser signed "
            "in as you has been signed out.",
            "If this was not you, reset your password now and tell your administrator.",
        ],
        action_label="Reset my password",
        action_url=link("auth.forgot_password"),
        reason="You receive this security notice whenever your password changes; it "
        "cannot be switched off.",
    )


def email_change_requested(user: User, new_email: str, secret: SecretLink) -> None:
    _to_account(
        user,
        kind="email_change_confirm",
        to=new_email,
        subject="Confirm your new email address for the Readiness Portal",
        paragraphs=[
            f"You asked to sign in to the Readiness Portal with {new_email} from now on. "
            "Confirm it with the link below (it works once, for 24 hours); until then your "
            "old address stays."
        ],
        action_label="Confirm my new address",
        action_url=secret.stored_url,
        secret=secret,
        reason="You receive this because this address was entered as a new sign-in "
        "address. If that was not you, ignore it.",
    )
    _to_account(
        user,
        kind="email_change_notice",
        subject="Someone asked to change your Readiness Portal email address",
        paragraphs=[
            f"A request was made to change your sign-in address to {new_email}. Nothing "
            "changes until that address confirms it.",
            "If this was not you, change your password and tell your administrator.",
        ],
        reason="You receive this security notice at your current address; it cannot be "
        "switched off.",
    )


def email_changed(user: User, old_email: str) -> None:
    for address in (old_email, user.email):
        _to_account(
            user,
            kind="email_changed",
            to=address,
            subject="Your Readiness Portal email address was changed",
            paragraphs=[
                f"Your sign-in address is now {user.email} (it was {old_email}). Every "
                "other browser signed in as you has been signed out.",
                "If this was not you, tell your administrator at once.",
            ],
            reason="You receive this security notice at your old and new addresses; it "
            "cannot be switched off.",
        )


# --- coordinators: what arrives in their jurisdiction ------------------------------------------


def coordinators_of(organization: Organization) -> list[User]:
    """The active coordinators whose jurisdictions cover ``organization``."""
    candidates = db.session.scalars(
        sa.select(User)
        .join(coordinator_jurisdictions, coordinator_jurisdictions.c.user_id == User.id)
        .join(Jurisdiction, Jurisdiction.id == coordinator_jurisdictions.c.jurisdiction_id)
        .where(
            User.role == Role.COORDINATOR,
            User.is_active,
            Jurisdiction.state == organization.state,
        )
        .distinct()
    ).all()
    return [u for u in candidates if any(j.covers(organization) for j in u.jurisdictions)]


def _to_coordinators(
    organization: Organization, kind: str, subject: str, line: str, url: str
) -> None:
    people = coordinators_of(organization)
    settings = preferences.settings_of([u.id for u in people], "submissions")
    for person in people:
        choice = settings[person.id]
        if choice == "daily":
            db.session.add(DigestItem(user_id=person.id, text=line[:500], link=url))
        else:  # "immediate"; "off" is refused by the outbox's one check of preferences
            queue(
                _optional(
                    Message(
                        kind=kind,
                        to=person.email,
                        subject=subject,
                        greeting=_hello(person.full_name),
                        paragraphs=[line],
                        action_label="Open it in the portal",
                        action_url=url,
                        reason="You receive this because you coordinate the jurisdiction "
                        "this organization is in.",
                    ),
                    person,
                    "submissions",
                ),
                user_id=person.id,
                organization_id=organization.id,
            )


def assessment_submitted(assessment: Assessment, *, resubmitted: bool = False) -> None:
    """``resubmitted``: the assessment comes back after a return for revision."""
    organization = assessment.organization
    name = typed(organization.name)
    gaps = plural(assessment.critical_gap_count or 0, "critical gap")
    if resubmitted:
        subject = f"{name} resubmitted its assessment after your return"
        line = (
            f"{name} ({organization.county}, {organization.state}) resubmitted the assessment "
            f"you returned for revision: {assessment.overall_score} out of 100, {gaps}. The "
            "review page shows what changed since you returned it."
        )
    else:
        subject = f"{name} submitted its cyber readiness assessment"
        line = (
            f"{name} ({organization.county}, {organization.state}) submitted its assessment: "
            f"{assessment.overall_score} out of 100, {gaps}. It is waiting for your review."
        )
    _to_coordinators(
        organization,
        "assessment_resubmitted" if resubmitted else "assessment_submitted",
        subject,
        line,
        link("review.assessment", assessment_id=assessment.id),
    )


def tool_request_submitted(request: ToolRequest) -> None:
    organization = request.organization
    name = typed(organization.name)
    tools = ", ".join(_tool_name(i.tool_id) for i in request.items)
    _to_coordinators(
        organization,
        "tool_request_submitted",
        f"{name} asks for free defensive services",
        f"{name} ({organization.county}, {organization.state}) asks for: {tools}.",
        link("toolrequests.show", request_id=request.id),
    )


def _tool_name(tool_id: str) -> str:
    catalog = questionnaire_versions.current()
    return catalog.tool(tool_id).name if catalog.has_tool(tool_id) else tool_id


# --- operators: what their coordinator decided ----------------------------------------------


def _operators(organization_id: int, topic: str) -> list[User]:
    return _operators_by_organization([organization_id], topic).get(organization_id, [])


def _to_operators(
    organization_id: int,
    kind: str,
    topic: str,
    subject: str,
    build: Message,
    coordinator: User | None = None,
) -> None:
    """``coordinator``: who decided, and whom a reply reaches."""
    for person in _operators(organization_id, topic):
        message = Message(
            kind=kind,
            to=person.email,
            subject=subject,
            greeting=_hello(person.full_name),
            paragraphs=list(build.paragraphs),
            items=list(build.items),
            action_label=build.action_label,
            action_url=build.action_url,
            closing=list(build.closing),
            reason="You receive this because you are an operator of this organization on "
            "the portal."
            + (
                f" A reply reaches {typed(coordinator.full_name, 60)}, who decided."
                if coordinator is not None
                else ""
            ),
            reply_to=coordinator.email if coordinator is not None else None,
        )
        queue(_optional(message, person, topic), user_id=person.id, organization_id=organization_id)


@dataclass(frozen=True)
class CommentedQuestion:
    """A coordinator's comment, with where the operator answers it."""

    question: str  # the question's text ("" for a comment on the whole assessment)
    comment: str
    url: str


def assessment_returned(
    assessment: Assessment, comments: list[CommentedQuestion], coordinator: User | None = None
) -> None:
    _to_operators(
        assessment.organization_id,
        "assessment_returned",
        "decisions",
        "Your assessment was returned for revision",
        Message(
            kind="",
            to="",
            subject="",
            greeting="",
            paragraphs=[
                "Your coordinator has returned your cyber readiness assessment so that you can "
                "change some answers. "
                + (
                    f"They left {plural(len(comments), 'comment')}:"
                    if comments
                    else "Their comments are with the assessment."
                )
            ],
            items=[
                Item(c.question or "On the assessment as a whole", c.url, c.comment)
                for c in comments
            ],
            action_label="Open the assessment",
            action_url=link("assess.show", assessment_id=assessment.id),
            closing=["When you have made the changes, submit it again."],
        ),
        coordinator,
    )


def assessment_accepted(assessment: Assessment, coordinator: User | None = None) -> None:
    _to_operators(
        assessment.organization_id,
        "assessment_accepted",
        "decisions",
        "Your assessment was accepted",
        Message(
            kind="",
            to="",
            subject="",
            greeting="",
            paragraphs=[
                "Your coordinator has accepted your cyber readiness assessment "
                f"({assessment.overall_score} out of 100). Your remediation plan and the free "
                "services you qualify for are on the results page.",
            ],
            action_label="See your results and plan",
            action_url=link("assess.results", assessment_id=assessment.id),
        ),
        coordinator,
    )


def tool_request_decided(request: ToolRequest, coordinator: User | None = None) -> None:
    status = request.status.value
    tools = ", ".join(_tool_name(i.tool_id) for i in request.items)
    paragraphs = {
        "approved": f"Your coordinator approved your request for {tools}. They will put you in "
        "touch with the provider, or tell you the next step.",
        "denied": f"Your coordinator could not approve your request for {tools}.",
        "fulfilled": f"Your request for {tools} is marked fulfilled: the service should now be "
        "set up for you.",
    }
    closing = [f"Their reason: {request.decision_reason}"] if request.decision_reason else []
    _to_operators(
        request.organization_id,
        f"tool_request_{status}",
        "decisions",
        f"Your request for free services was {status}",
        Message(
            kind="",
            to="",
            subject="",
            greeting="",
            paragraphs=[paragraphs[status]],
            action_label="See the request",
            action_url=link("toolrequests.show", request_id=request.id),
            closing=closing,
        ),
        coordinator,
    )


# --- known-exploited flaws in what an organization runs ------------------------------------------


@dataclass(frozen=True)
class ExploitedEntry:
    cve_id: str
    name: str
    known_ransomware: bool


@dataclass(frozen=True)
class ExploitedProduct:
    name: str  # the catalog's name for the product
    typed: str  # what the organization entered (vendor, product, version)
    internet_facing: bool
    entries: list[ExploitedEntry]


SHOWN_ENTRIES = 5


def exploited_products(
    batch: Sequence[tuple[int, list[ExploitedProduct]]],
    *,
    coordinator: User | None,
    new_entries: bool,
) -> int:
    """Tell each organization's operators which of *its own* products are in CISA's KEV catalog:
    ``batch`` holds (organization id, its products), one message per operator. ``coordinator``:
    the coordinator who asked for these messages (None: a new catalog did). Written to the
    outbox in one flush; returns how many organizations were written to (0 when mail is off)."""
    if coordinator is not None:
        opening = (
            f"{typed(coordinator.full_name, 60)}, your state or local cyber coordinator, asks "
            "you to check these products on your organization's list: CISA lists flaws in them "
            "that attackers are using now."
        )
        subject = "Your coordinator asks you to check products attackers are exploiting"
    else:
        opening = (
            "CISA has added flaws that attackers are using now to its Known Exploited "
            "Vulnerabilities list, in products on your organization's list."
            if new_entries
            else "Products on your organization's list are in CISA's Known Exploited "
            "Vulnerabilities list."
        )
        subject = "New: flaws attackers are exploiting in products you run"
    paragraphs = [
        opening,
        "KEV lists products, not versions: compare your version with each vendor's advisory. "
        "You may already have the fix. If you do not, patch within days or take the product off "
        "the internet until you can.",
    ]
    action_url = link("inventory.index")
    preferences_url = link("auth.notifications")
    operators = _operators_by_organization([org_id for org_id, _ in batch], "exploited")
    messages = []
    for organization_id, products in batch:
        items = [_exploited_item(product) for product in products]
        for person in operators.get(organization_id, []):
            message = Message(
                kind="kev_match",
                to=person.email,
                subject=subject,
                greeting=_hello(person.full_name),
                paragraphs=paragraphs,
                items=items,
                action_label="See what to do, product by product",
                action_url=action_url,
                reason="You receive this because you are an operator of this organization on "
                "the portal.",
                topic="exploited",
                reply_to=coordinator.email if coordinator is not None else None,
            )
            message.unsubscribe_url = preferences.unsubscribe_url(person, "exploited")
            message.preferences_url = preferences_url
            messages.append((message, person.id, organization_id))
    if not queue_many(messages):
        return 0
    return len({org_id for _, _, org_id in messages})


def _exploited_item(product: ExploitedProduct) -> Item:
    first = product.entries[:SHOWN_ENTRIES]
    listed = "; ".join(
        f"{e.cve_id} {e.name}" + (" (used by ransomware gangs)" if e.known_ransomware else "")
        for e in first
    )
    more = len(product.entries) - len(first)
    return Item(
        f"{product.name} — on your list as “{product.typed}”"
        + (", facing the internet" if product.internet_facing else ""),
        detail=listed + (f"; and {more} more" if more > 0 else ""),
    )


def _operators_by_organization(organization_ids: list[int], topic: str) -> dict[int, list[User]]:
    """The operators of each organization who have not switched ``topic`` off — two queries per
    thousand organizations, not two per organization. (The outbox checks the choice again as it
    takes each message: one rule, whoever composes.)"""
    found: dict[int, list[User]] = {}
    for start in range(0, len(organization_ids), 1000):
        chunk = organization_ids[start : start + 1000]
        people = db.session.scalars(
            sa.select(User)
            .where(User.organization_id.in_(chunk), User.is_active, User.role == Role.OPERATOR)
            .order_by(User.id)
        ).all()
        settings = preferences.settings_of([u.id for u in people], topic)
        for person in people:
            if settings[person.id] != "off" and person.organization_id is not None:
                found.setdefault(person.organization_id, []).append(person)
    return found
