"""The optional notices each person may switch off, and one-click unsubscribe.

Security messages — password reset, password or email changed, confirming an address,
invitations — are not topics: they cannot be switched off.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal.extensions import db
from portal.mail.compose import link
from portal.models import NotificationPreference, Role, User


@dataclass(frozen=True)
class Topic:
    id: str
    roles: tuple[Role, ...]
    label: str
    hint: str
    choices: dict[str, str]
    default: str


ON_OFF = {"on": "Send them", "off": "Do not send them"}
TOPICS: tuple[Topic, ...] = (
    Topic(
        "submissions",
        (Role.COORDINATOR,),
        "New submissions in your jurisdiction",
        "An organization submits an assessment or sends a tool-access request.",
        {
            "immediate": "One message for each, as it happens",
            "daily": "One daily digest",
            "off": "None",
        },
        "immediate",
    ),
    Topic(
        "decisions",
        (Role.OPERATOR,),
        "Your coordinator's decisions",
        "An assessment returned for revision or accepted; a tool request approved, denied or "
        "fulfilled.",
        ON_OFF,
        "on",
    ),
    Topic(
        "exploited",
        (Role.OPERATOR,),
        "Known-exploited flaws in what you run",
        "CISA adds a flaw in a product on your organization's list, or your coordinator writes "
        "to the organizations running an exploited product.",
        ON_OFF,
        "on",
    ),
    Topic(
        "reminders",
        (Role.OPERATOR,),
        "Reminders",
        "A draft untouched for 14 days, a re-assessment due after 12 months, plan actions "
        "whose 30/60/90-day window ends within 7 days.",
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
    if value not in topic.choices:
        raise ValueError(f"{value!r} is not a choice for {topic_id}")
    stored = db.session.get(NotificationPreference, (user.id, topic_id))
    if stored is None:
        db.session.add(NotificationPreference(user_id=user.id, topic=topic_id, setting=value))
    else:
        stored.setting = value
    db.session.flush()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_url(user: User, topic_id: str) -> str:
    """A link that switches off ``topic_id`` for ``user`` alone, without signing in."""
    token = _serializer().dumps({"u": user.id, "t": topic_id})
    return link("auth.unsubscribe", token=token)


def read_unsubscribe(token: str) -> tuple[User, Topic] | None:
    """The person and topic a link names, if it is genuine and the account is active."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, topic_id = data.get("u"), data.get("t")
    if not isinstance(user_id, int) or topic_id not in BY_ID:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user, BY_ID[topic_id]
