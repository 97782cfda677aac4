"""Readiness Portal.

``create_app`` is imported lazily so that the domain core (``portal.questionnaire``,
``portal.scoring``, ``portal.remediation``) can be imported without Flask or SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from portal.app import create_app as _create_app

    return _create_app(config)
