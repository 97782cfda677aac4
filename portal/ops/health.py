"""Probes for load balancers and orchestrators: cheap, unauthenticated, revealing nothing.

``/healthz``: the process answers (restart it if not). ``/readyz``: it can do its work — the
database answers, its schema is the migrations' head, and Redis answers when it is configured
(send it no traffic if not). A failing check is named, never explained.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from flask_migrate import Migrate

from portal import jobs
from portal.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    failing = []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failing:
            failing.append(name)  # not asked again: one wait for an unreachable database
        elif not _passes(name, check):
            failing.append(name)
    if failing:
        return {"status": "not ready", "failing": failing}, 503
    return {"status": "ready"}, 200


def _passes(name: str, check: Any) -> bool:
    try:
        return bool(check())
    except Exception as error:  # any failure is "not ready"; the reason goes to the log only
        log.warning("readiness check %s failed: %s", name, type(error).__name__)
        return False
    finally:
        db.session.rollback()  # a failed statement must not leave the request's session aborted


def _database() -> bool:
    db.session.execute(sa.text("SELECT 1"))
    return True


def _migrations() -> bool:
    current = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return set(current) == _heads(current_app.extensions["migrate"].directory)


@functools.lru_cache(maxsize=4)
def _heads(directory: str) -> set[str]:
    config = Migrate().get_config(directory)
    return set(ScriptDirectory.from_config(config).get_heads())


def _redis() -> bool:
    if not current_app.config.get("REDIS_URL"):
        return True
    connection = jobs.redis()
    return connection is not None and bool(connection.ping())


CHECKS = {"database": _database, "migrations": _migrations, "redis": _redis}
