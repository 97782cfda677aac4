"""Daily digests: the notices a coordinator chose to get once a day, in one message.

A digest is an optional notice like the rest: a person who switched the topic off after items
were kept for them gets nothing (the items are marked done all the same)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from portal import i18n
from portal.extensions import db
from portal.mail import preferences
from portal.mail.compose import Item, link, one_line, worded
from portal.mail.outbox import queue
from portal.models import DigestItem, User, utcnow


def send_digests(now: datetime | None = None) -> int:
    """One message per person with waiting items; the items are marked in the same
    transaction, so running twice sends nothing twice."""
    now = now or utcnow()
    waiting = db.session.scalars(
        sa.select(DigestItem).where(DigestItem.digested_at.is_(None)).order_by(DigestItem.id)
    ).all()
    by_user: dict[int, list[DigestItem]] = defaultdict(list)
    for item in waiting:
        by_user[item.user_id].append(item)
    sent = 0
    for user_id, items in by_user.items():
        user = db.session.get(User, user_id)
        if user is not None and user.is_active:
            with i18n.speaking_to(user):
                words = worded("digest", name=one_line(user.full_name, 80), count=len(items))
                row = queue(
                    words.message(
                        "digest",
                        user.email,
                        items=[Item(i.text, i.link) for i in items],
                        action_url=link("review.index"),
                        unsubscribe_url=preferences.unsubscribe_url(user, "submissions"),
                        preferences_url=link("auth.notifications"),
                        topic="submissions",
                    ),
                    user_id=user.id,
                    dedupe_key=f"digest:{user.id}:{items[-1].id}",
                )
            sent += row is not None
        for item in items:
            item.digested_at = now
    db.session.flush()
    return sent
