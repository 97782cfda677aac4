"""What the portal says when the mail server refuses an invitation for good: the inviter hears
which address failed and why, so that the colleague is not left waiting for a message that
never comes (the organization's page shows the same)."""

from __future__ import annotations

from portal.mail.compose import Message, link, typed
from portal.models import Invitation, Role, User


def invitation_refused(inviter: User, invitation: Invitation, error: str) -> Message:
    return Message(
        kind="invitation_refused",
        to=inviter.email,
        subject="Your invitation could not be delivered",
        greeting=f"Hello {typed(inviter.full_name)},",
        paragraphs=[
            f"Your invitation to {invitation.email} could not be delivered: the receiving mail "
            "server refused the address.",
            # (what a foreign mail server wrote: no links of theirs reach the inviter)
            f"The server said: {typed(error, 200)}",
            "Check the address with your colleague and invite them again from your "
            "organization's page.",
        ],
        action_label="Open your organization's page",
        action_url=link("organizations.show")
        if inviter.role is Role.OPERATOR
        else link("admin.index", q=invitation.organization.name),
        reason="You receive this because you sent this invitation.",
    )
