"""Who is told what, for each event of the portal.

Each function composes the messages for one event and puts them in the outbox (or, for a
coordinator who chose a daily digest, in their digest) within the caller's transaction. Optional
notices respect each person's preferences and carry a one-click unsubscribe; security messages
always go. Links point at the exact page the message is about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal import i18n, questionnaire_versions
from portal.extensions import db
from portal.mail import preferences
from portal.mail.compose import Item, Message, SecretLink, link, typed, worded
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
    utcnow,
)
from portal.templating import local_datetime, time_zone_of


def _name(user: User) -> str:
    """How a message greets ``user``: the name they typed, fit for a message."""
    return typed(user.full_name, 80)


def _optional(message: Message, user: User, topic: str) -> Message:
    """An optional notice: the outbox checks ``topic`` against the person's choice, and the
    message carries its one-click unsubscribe."""
    message.topic = topic
    message.unsubscribe_url = preferences.unsubscribe_url(user, topic)
    message.preferences_url = link("auth.notifications")
    return message


# --- accounts (security messages: always sent) ---------------------------------------------------


def _inviter(organization: Organization, inviter: User) -> dict[str, Any]:
    """Who invites, as a recipient can judge it (mail/words/_inviter.txt)."""
    return {
        "inviter": typed(inviter.full_name, 60),
        "inviter_email": inviter.email,
        "by_admin": inviter.role is Role.ADMIN,
        "organization": typed(organization.name),
    }


def invitation(
    email: str, organization: Organization, inviter: User, secret: SecretLink, invitation_id: int
) -> None:
    # No account yet, so no choice of their own: the organization's language.
    with i18n.speaking(organization.language):
        words = worded("invitation", **_inviter(organization, inviter))
        queue(
            words.message(
                "invitation",
                email,
                action_url=secret.stored_url,
                secret=secret,
                invitation_id=invitation_id,
            ),
            organization_id=organization.id,
        )


def invitation_to_an_account(
    user: User, organization: Organization, inviter: User, invitation_id: int
) -> None:
    """Someone invited an address that has an account already: the owner hears it (the inviter
    was answered as for any other address, so the form tells nobody who has an account)."""
    with i18n.speaking_to(user):
        words = worded("invitation_existing", name=_name(user), **_inviter(organization, inviter))
        queue(
            words.message(
                "invitation_existing",
                user.email,
                action_url=link("auth.login"),
                invitation_id=invitation_id,
            ),
            user_id=user.id,
        )


def _to_account(
    user: User,
    kind: str,
    *,
    to: str | None = None,
    facts: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """A message about ``user``'s own account in the words of ``kind``, greeting them by name
    (at their address unless ``to`` says another), filed under their id and organization."""
    # When it happened, on the person's own clock (#34: one clock per reader).
    with i18n.speaking_to(user):
        when = local_datetime(utcnow(), time_zone_of(user))
        words = worded(kind, name=_name(user), when=when, **(facts or {}))
        queue(
            words.message(kind, to or user.email, **fields),
            user_id=user.id,
            organization_id=user.organization_id,
        )


def registration_attempt(user: User) -> None:
    """Someone tried to register with an address that has an account: the owner hears it, and
    the page said the same as for a new address."""
    _to_account(user, "registration_existing", action_url=link("auth.login"))


def coordinator_welcome(user: User, set_password: SecretLink | None) -> None:
    jurisdictions = ", ".join(j.name for j in user.jurisdictions)
    with i18n.speaking_to(user):
        words = worded(
            "coordinator_welcome",
            name=_name(user),
            jurisdictions=jurisdictions,
            set_password=set_password is not None,
        )
        queue(
            words.message(
                "coordinator_welcome",
                user.email,
                action_url=set_password.stored_url if set_password else link("auth.login"),
                secret=set_password,
            ),
            user_id=user.id,
        )


def confirm_email(user: User, secret: SecretLink) -> None:
    _to_account(user, "confirm_email", action_url=secret.stored_url, secret=secret)


def password_reset(user: User, secret: SecretLink) -> None:
    _to_account(user, "password_reset", action_url=secret.stored_url, secret=secret)


def password_changed(user: User, *, by_reset: bool) -> None:
    _to_account(
        user,
        "password_changed",
        facts={"by_reset": by_reset},
        action_url=link("auth.forgot_password"),
    )


def email_change_requested(user: User, new_email: str, secret: SecretLink) -> None:
    _to_account(
        user,
        "email_change_confirm",
        to=new_email,
        facts={"new_email": new_email},
        action_url=secret.stored_url,
        secret=secret,
    )
    _to_account(user, "email_change_notice", facts={"new_email": new_email})


def email_changed(user: User, old_email: str) -> None:
    for address in (old_email, user.email):
        _to_account(
            user,
            "email_changed",
            to=address,
            facts={"new_email": user.email, "old_email": old_email},
        )


def second_factor_changed(user: User, *, added: str = "", removed: str = "") -> None:
    """A second factor was added to or removed from ``user``'s account (named as they named
    it)."""
    _to_account(
        user,
        "second_factor_changed",
        facts={"added": typed(added, 60), "removed": typed(removed, 60)},
        action_url=link("auth.second_factors"),
    )


def organization_second_factor_changed(
    organization: Organization, *, require: bool, by: User
) -> None:
    """An operator required a second factor of all operators, or made it a choice again."""
    members = db.session.scalars(
        sa.select(User).where(User.organization_id == organization.id, User.is_active)
    ).all()
    for person in members:
        _to_account(
            person,
            "organization_second_factor_changed",
            facts={
                "require": require,
                "organization": typed(organization.name),
                "by": typed(by.full_name, 60),
                "by_email": by.email,
                "you": person.id == by.id,
            },
            action_url=link("auth.second_factors"),
        )


def recovery_codes_made(user: User) -> None:
    _to_account(user, "recovery_codes_made", action_url=link("auth.second_factors"))


def codes_refused_after_password(user: User, refused: int) -> None:
    """The right password, then wrong codes: someone may have the person's password."""
    _to_account(
        user,
        "codes_refused_after_password",
        facts={"refused": refused},
        action_url=link("auth.change_password"),
    )


def recovery_code_used(user: User, left: int) -> None:
    _to_account(
        user, "recovery_code_used", facts={"left": left}, action_url=link("auth.second_factors")
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


def _to_coordinators(organization: Organization, kind: str, url: str, **facts: Any) -> None:
    """Tell the coordinators of ``organization`` (each as they chose: now, or in the daily
    digest, whose line is the message's first paragraph)."""
    where = {
        "organization": typed(organization.name),
        "county": organization.county,
        "state": organization.state,
    }
    people = coordinators_of(organization)
    settings = preferences.settings_of([u.id for u in people], "submissions")
    for person in people:
        with i18n.speaking_to(person):
            words = worded(kind, name=_name(person), **where, **facts)
        choice = settings[person.id]
        if choice == "daily":
            db.session.add(DigestItem(user_id=person.id, text=words.paragraphs[0][:500], link=url))
        else:  # "immediate"; "off" is refused by the outbox's one check of preferences
            queue(
                _optional(words.message(kind, person.email, action_url=url), person, "submissions"),
                user_id=person.id,
                organization_id=organization.id,
            )


def assessment_submitted(assessment: Assessment, *, resubmitted: bool = False) -> None:
    """``resubmitted``: the assessment comes back after a return for revision."""
    _to_coordinators(
        assessment.organization,
        "assessment_resubmitted" if resubmitted else "assessment_submitted",
        link("review.assessment", assessment_id=assessment.id),
        score=assessment.overall_score,
        critical_gaps=assessment.critical_gap_count or 0,
    )


def tool_request_submitted(request: ToolRequest) -> None:
    _to_coordinators(
        request.organization,
        "tool_request_submitted",
        link("toolrequests.show", request_id=request.id),
        tools=_ToolNames(tuple(i.tool_id for i in request.items)),
    )


@dataclass(frozen=True)
class _ToolNames:
    """The services' names, read when the message is written — in each recipient's language
    (23 of the 34 names differ in Spanish)."""

    ids: tuple[str, ...]

    def __str__(self) -> str:
        return ", ".join(_tool_name(tool_id) for tool_id in self.ids)


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
    coordinator: User | None,
    words_of: str | None = None,
    items: Sequence[Item] | Callable[[], Sequence[Item]] = (),
    **fields: Any,
) -> None:
    """Tell the operators in the words of ``words_of`` (else ``kind``); ``coordinator``: who
    decided, and whom a reply reaches."""
    decided_by = typed(coordinator.full_name, 60) if coordinator is not None else None
    facts = fields.pop("facts", {})
    for person in _operators(organization_id, topic):
        with i18n.speaking_to(person):
            words = worded(words_of or kind, name=_name(person), coordinator=decided_by, **facts)
            message = words.message(
                kind,
                person.email,
                items=list(items() if callable(items) else items),
                reply_to=coordinator.email if coordinator is not None else None,
                **fields,
            )
            queue(
                _optional(message, person, topic),
                user_id=person.id,
                organization_id=organization_id,
            )


@dataclass(frozen=True)
class CommentedQuestion:
    """A coordinator's comment, with where the operator answers it."""

    question: str  # the question's text ("" for a comment on the whole assessment)
    comment: str
    url: str
    # Its id: the text is read again in each recipient's language.
    question_id: str | None = None


def assessment_returned(
    assessment: Assessment, comments: list[CommentedQuestion], coordinator: User | None = None
) -> None:

    def items() -> list[Item]:
        """In the language of the recipient being written to."""
        whole = str(worded("assessment_returned", comments=0).module.whole_assessment)
        questionnaire = questionnaire_versions.for_version(assessment.questionnaire_version)
        return [
            Item(
                questionnaire.question(c.question_id).text
                if c.question_id and questionnaire.has_question(c.question_id)
                else (c.question or whole),
                c.url,
                c.comment,
            )
            for c in comments
        ]

    _to_operators(
        assessment.organization_id,
        "assessment_returned",
        "decisions",
        coordinator,
        items=items,
        facts={"comments": len(comments)},
        action_url=link("assess.show", assessment_id=assessment.id),
    )


def assessment_accepted(assessment: Assessment, coordinator: User | None = None) -> None:
    _to_operators(
        assessment.organization_id,
        "assessment_accepted",
        "decisions",
        coordinator,
        facts={"score": assessment.overall_score},
        action_url=link("assess.results", assessment_id=assessment.id),
    )


def tool_request_decided(request: ToolRequest, coordinator: User | None = None) -> None:
    status = request.status.value
    _to_operators(
        request.organization_id,
        f"tool_request_{status}",
        "decisions",
        coordinator,
        words_of="tool_request_decided",
        facts={
            "status": status,
            "tools": _ToolNames(tuple(i.tool_id for i in request.items)),
            "decision_reason": request.decision_reason,
        },
        action_url=link("toolrequests.show", request_id=request.id),
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
    facts = {
        "coordinator": typed(coordinator.full_name, 60) if coordinator is not None else None,
        "new_entries": new_entries,
        "shown": SHOWN_ENTRIES,
    }
    action_url = link("inventory.index")
    preferences_url = link("auth.notifications")
    operators = _operators_by_organization([org_id for org_id, _ in batch], "exploited")
    messages = []
    for organization_id, products in batch:
        for person in operators.get(organization_id, []):
            with i18n.speaking_to(person):
                words = worded("kev_match", name=_name(person), **facts)
                message = words.message(
                    "kev_match",
                    person.email,
                    items=words.items(products),
                    action_url=action_url,
                    topic="exploited",
                    reply_to=coordinator.email if coordinator is not None else None,
                )
            message.unsubscribe_url = preferences.unsubscribe_url(person, "exploited")
            message.preferences_url = preferences_url
            messages.append((message, person.id, organization_id))
    if not queue_many(messages):
        return 0
    return len({org_id for _, _, org_id in messages})


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
