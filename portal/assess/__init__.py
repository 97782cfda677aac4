"""The operator's assessment pages (blueprint ``assess``): the Assessment page (``overview``),
the wizard (``wizard``, with ``expired_login`` for saves that outlive a login) and the results
(``results``). Their work is done by :mod:`portal.assessments`."""

from portal.assess import (  # each registers its views
    expired_login,
    overview,
    replies,
    results,
    wizard,
)
from portal.assess.blueprint import bp

__all__ = ["bp", "expired_login", "overview", "replies", "results", "wizard"]
