"""Figures kept for a short while, and dropped as soon as what they count changes.

Dashboards and queue counts are keyed by a *generation* number that every submission, return,
acceptance and tool-request decision bumps (after its transaction commits); peer benchmarks by
sector. In Redis when ``REDIS_URL`` is set (shared by every process), else per process. A cache
outage costs the computation, never the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm

from portal.extensions import cache
from portal.models import Role, User

log = logging.getLogger(__name__)
T = TypeVar("T")

DASHBOARD_GENERATION = "dashboard-generation"
DASHBOARD_CACHE_SECONDS = 60
PEER_CACHE_SECONDS = 300
_PENDING = "portal.figures_changed"


def peer_key(sector: str) -> str:
    return f"peer-benchmark:{sector}"


def figures_changed(sectors: list[str]) -> None:
    """A submission was added or withdrawn, or a tool request sent or decided: drop cached
    dashboards and counts, and the peer figures of ``sectors``."""
    try:
        if sectors:
            cache.delete_many(*(peer_key(s) for s in sectors))
        cache.cache.inc(DASHBOARD_GENERATION, 1)
    except Exception as error:  # a cache outage must not fail a submission
        log.warning("figure cache unreachable (%s)", error)


def figures_changed_on_commit(session: orm.Session, sectors: list[str]) -> None:
    """Clear the cached figures once this transaction has committed — not before, or a request
    in between could cache the old figures again under the new generation."""
    session.info.setdefault(_PENDING, set()).update(sectors)


@sa.event.listens_for(orm.Session, "after_commit")
def _after_commit(session: orm.Session) -> None:
    sectors = session.info.pop(_PENDING, None)
    if sectors is not None:  # (an empty set: dashboards only, no peer figures)
        figures_changed(sorted(sectors))


@sa.event.listens_for(orm.Session, "after_rollback")
def _after_rollback(session: orm.Session) -> None:
    session.info.pop(_PENDING, None)


def scope_key(user: User) -> str:
    """Users with the same key see the same organizations (cache keys for shared figures)."""
    if user.role is Role.COORDINATOR:
        return ",".join(str(j.id) for j in sorted(user.jurisdictions, key=lambda j: j.id))
    return "all" if user.role is Role.ADMIN else f"user-{user.id}"


def cached_figures(key: str, compute: Callable[[], T], seconds: int = DASHBOARD_CACHE_SECONDS) -> T:
    """``compute()``, kept for ``seconds`` under ``key`` and dropped by any status change."""
    try:
        generation = cache.get(DASHBOARD_GENERATION) or 0
    except Exception as error:
        log.warning("figure cache unreachable (%s)", error)
        return compute()
    return remember(f"figures:{generation}:{key}", compute, seconds)


def remember(key: str, compute: Callable[[], T], seconds: int) -> T:
    """The cached value under ``key``, or ``compute()`` stored there."""
    try:
        cached: Any = cache.get(key)
    except Exception as error:
        log.warning("figure cache unreachable (%s)", error)
        return compute()
    if cached is None:
        cached = compute()
        try:
            cache.set(key, cached, timeout=seconds)
        except Exception as error:
            log.warning("figure cache unreachable (%s)", error)
    result: T = cached
    return result
