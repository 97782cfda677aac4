"""The operator's assessment pages (blueprint ``assess``): the Assessment page (``overview``),
the wizard (``wizard``, with ``expired_login`` for saves that outlive a login) and the results
(``results``). Their work is done by :mod:`portal.assessments`."""

from portal.assessment_views import (  # each registers its views
    expired_login,
    overview,
    replies,
    results,
    wizard,
)
from portal.assessment_views.blueprint import bp

__all__ = ["bp", "expired_login", "overview", "replies", "results", "wizard"]
