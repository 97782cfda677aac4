"""What the portal says when the mail server refuses an invitation for good: the inviter hears
which address failed and why, so that the colleague is not left waiting for a message that
never comes (the organization's page shows the same)."""

from __future__ import annotations

from portal import i18n
from portal.mail.compose import Message, link, typed, worded
from portal.models import Invitation, Role, User


def invitation_refused(inviter: User, invitation: Invitation, error: str) -> Message:
    with i18n.speaking_to(inviter):
        words = worded(
            "invitation_refused",
            name=typed(inviter.full_name),
            email=invitation.email,
            # what a foreign mail server wrote: no links of theirs reach the inviter
            error=typed(error, 200),
        )
        message = words.message(
            "invitation_refused",
            inviter.email,
            action_url=link("organizations.show")
            if inviter.role is Role.OPERATOR
            else link("admin.index", q=invitation.organization.name),
        )
    return message
