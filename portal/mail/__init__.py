"""Mail: what the portal tells people outside the browser.

- ``compose``: a message as data (greeting, paragraphs, items, one action), rendered to plain
  text and HTML in the portal's look; links built from PORTAL_BASE_URL only
- ``outbox``: messages written in the transaction of the change that causes them, and the
  sender that delivers them (after commit, on the RQ queue, or ``flask mail send-pending``)
- ``preferences``: the optional topics each person may switch off, one-click unsubscribe
- ``notices``: who is told what, for each event of the portal
- ``reminders``: scheduled reminders and daily digests (``flask reminders send``)
"""
