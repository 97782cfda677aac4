"""The optional notices each person may switch off, and one-click unsubscribe.

Security messages — password reset, password or email changed, confirming an address,
invitations — are not topics: they cannot be switched off.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadData, BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from portal import audit
from portal.extensions import db
from portal.mail.compose import link
from portal.models import NotificationPreference, Role, User, utcnow


@dataclass(frozen=True)
class Topic:
    """An optional notice. Its words are marked at import and read in the reader's language
    (``label``, ``hint``, ``choices``)."""

    id: str
    roles: tuple[Role, ...]
    lazy_label: LazyString
    lazy_hint: LazyString
    lazy_choices: dict[str, LazyString]
    default: str

    @property
    def label(self) -> str:
        return str(self.lazy_label)

    @property
    def hint(self) -> str:
        return str(self.lazy_hint)

    @property
    def choices(self) -> dict[str, str]:
        return {value: str(label) for value, label in self.lazy_choices.items()}


ON_OFF = {"on": _l("Send them"), "off": _l("Do not send them")}
TOPICS: tuple[Topic, ...] = (
    Topic(
        "submissions",
        (Role.COORDINATOR,),
        _l("New submissions in your jurisdiction"),
        _l("An organization submits an assessment or sends a tool-access request."),
        {
            "immediate": _l("One message for each, as it happens"),
            "daily": _l("One daily digest"),
            "off": _l("None"),
        },
        "immediate",
    ),
    Topic(
        "decisions",
        (Role.OPERATOR,),
        _l("Your coordinator's decisions"),
        _l(
            "An assessment returned for revision or accepted; a tool request approved, denied "
            "or fulfilled."
        ),
        ON_OFF,
        "on",
    ),
    Topic(
        "exploited",
        (Role.OPERATOR,),
        _l("Known-exploited flaws in what you run"),
        _l(
            "CISA adds a flaw in a product on your organization's list, or your coordinator "
            "writes to the organizations running an exploited product."
        ),
        ON_OFF,
        "on",
    ),
    Topic(
        "reminders",
        (Role.OPERATOR,),
        _l("Reminders"),
        _l(
            "A draft untouched for 14 days, a re-assessment due after 12 months, plan actions "
            "whose 30/60/90-day window ends within 7 days."
        ),
        ON_OFF,
        "on",
    ),
)
BY_ID = {topic.id: topic for topic in TOPICS}


def topics_for(user: User) -> list[Topic]:
    return [topic for topic in TOPICS if user.role in topic.roles]


def setting(user: User, topic_id: str) -> str:
    stored = db.session.get(NotificationPreference, (user.id, topic_id))
    return stored.setting if stored is not None else BY_ID[topic_id].default


def settings_of(user_ids: list[int], topic_id: str) -> dict[int, str]:
    """Each user's setting for ``topic_id`` (one query for a list of recipients)."""
    stored = dict(
        db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.setting).where(
                NotificationPreference.user_id.in_(user_ids),
                NotificationPreference.topic == topic_id,
            )
        ).all()
    )
    return {uid: stored.get(uid, BY_ID[topic_id].default) for uid in user_ids}


def choose(user: User, topic_id: str, value: str) -> None:
    topic = BY_ID[topic_id]
    if value not in topic.lazy_choices:
        raise ValueError(f"{value!r} is not a choice for {topic_id}")
    stored = db.session.get(NotificationPreference, (user.id, topic_id))
    if stored is None:
        db.session.add(NotificationPreference(user_id=user.id, topic=topic_id, setting=value))
    else:
        stored.setting = value
    db.session.flush()


def choose_all(user: User, chosen: dict[str, str]) -> None:
    """Save the person's choice for each topic of the notifications page, audited."""
    for topic_id, value in chosen.items():
        choose(user, topic_id, value)
    audit.record("account.notifications_changed", object_type="User", object_id=user.id)


def unsubscribe(user: User, topic_id: str) -> None:
    """One-click "stop these messages" from a message's link, audited as the person's own act."""
    choose(user, topic_id, "off")
    audit.record(
        "account.unsubscribed", object_type="User", object_id=user.id, actor=user, topic=topic_id
    )


def blocked(user_ids: list[int], topic_id: str) -> set[int]:
    """Who of ``user_ids`` switched ``topic_id`` off: the one check every optional message
    passes before the outbox takes it (portal/mail/outbox.py)."""
    if not user_ids:
        return set()
    return {uid for uid, value in settings_of(user_ids, topic_id).items() if value == "off"}


# --- one-click unsubscribe -----------------------------------------------------------------------
# The link names the person by a random handle (users.mail_key), not their id; it is signed with
# the time it was made and with a digest of the account's state — its address and when its
# password last changed — so it stops working after UNSUBSCRIBE_LINK_AGE, and at once when the
# address or password changes (as the account's other links do).

UNSUBSCRIBE_LINK_AGE = timedelta(days=180)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def _state(user: User) -> str:
    changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
    state = f"{user.email}|{changed}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def _mail_key(user: User) -> str:
    if user.mail_key is None:  # an account not yet flushed: its default is set here instead
        user.mail_key = secrets.token_hex(16)
    return user.mail_key


def unsubscribe_url(user: User, topic_id: str) -> str:
    """A link that switches off ``topic_id`` for ``user`` alone, without signing in."""
    token = _serializer().dumps({"k": _mail_key(user), "t": topic_id, "s": _state(user)})
    return link("auth.unsubscribe", token=token)


def read_unsubscribe(token: str) -> tuple[User, Topic] | None:
    """The person and topic a link names, if it is genuine, recent, made for the account as it
    is now, and the account is active."""
    if len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=int(UNSUBSCRIBE_LINK_AGE.total_seconds()))
    except BadSignature:  # a wrong signature, or an expired one (SignatureExpired)
        return _read_legacy(token)
    if not isinstance(data, dict):
        return None
    key, topic_id, state = data.get("k"), data.get("t"), data.get("s")
    if not isinstance(key, str) or topic_id not in BY_ID or not isinstance(state, str):
        return None
    user = db.session.scalar(sa.select(User).where(User.mail_key == key))
    if user is None or not user.is_active or state != _state(user):
        return None
    return user, BY_ID[topic_id]


# Links in messages sent before 2026.3 named the user id and carried no time; they keep turning
# a topic off until LEGACY_LINKS_UNTIL (90 days after the upgrade), then open nothing.
LEGACY_LINKS_UNTIL = date(2027, 3, 6)


def _read_legacy(token: str) -> tuple[User, Topic] | None:
    if utcnow().date() >= LEGACY_LINKS_UNTIL:
        return None
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe").loads(token)
    except BadData:  # a wrong signature, or not a payload of the old form
        return None
    if not isinstance(data, dict) or set(data) != {"u", "t"}:
        return None
    user_id, topic_id = data.get("u"), data.get("t")
    if not isinstance(user_id, int) or topic_id not in BY_ID:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user, BY_ID[topic_id]
