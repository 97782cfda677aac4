"""The one place that decides who may load which object.

Every view that loads an organization-scoped object calls :func:`get_or_404`. Another tenant's
object answers 404 — the same as a missing one, so ids reveal nothing — and the attempt is
audited. An assessment that was never submitted answers 404 to everyone but its organization's
operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm.interfaces import ORMOption

from portal import audit
from portal.extensions import db
from portal.models import Assessment, Organization, Role, User

T = TypeVar("T")


def organization_id_of(obj: Any) -> int:
    if isinstance(obj, Organization):
        return obj.id
    org_id = getattr(obj, "organization_id", None)
    if org_id is None:
        raise TypeError(f"{type(obj).__name__} is not organization-scoped")
    return int(org_id)


def can_access_organization(user: User, organization: Organization) -> bool:
    if not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.OPERATOR:
        return user.organization_id == organization.id
    if user.role is Role.COORDINATOR:
        return any(j.covers(organization) for j in user.jurisdictions)
    return False


def can_see_assessment(user: User, assessment: Assessment) -> bool:
    """Within an organization the viewer may see: a draft stays the organization's own until it
    is first submitted. Coordinators (and admins) see it from then on — also when they return it
    for revision, so they can follow what changes."""
    return user.role is Role.OPERATOR or assessment.submitted_at is not None


def get_or_404(
    model: type[T],
    object_id: int | str,
    user: User | None = None,
    options: Sequence[ORMOption] = (),
) -> T:
    """Load ``model`` by primary key if ``user`` (default: the current user) may see it.

    ``options``: loader options for what the view reads next (e.g. ``joinedload``), so the
    object and its relations arrive in one query.
    """
    viewer: User = user if user is not None else current_user
    if isinstance(object_id, int) and not 0 < object_id < 2**31:
        abort(404)  # beyond any id we issue (and beyond SQLite's integer range)
    obj = db.session.get(model, object_id, options=options)
    if obj is None:
        abort(404)
    organization: Organization | None
    if isinstance(obj, Organization):
        organization = obj
    elif hasattr(obj, "organization"):
        # Through the relationship, so the object keeps it: the session's identity map holds
        # objects weakly, and a separately loaded organization would be loaded again later.
        organization = obj.organization
    else:
        organization = db.session.get(Organization, organization_id_of(obj))
    if (
        organization is None
        or not can_access_organization(viewer, organization)
        or (isinstance(obj, Assessment) and not can_see_assessment(viewer, obj))
    ):
        audit.record(
            "access.denied",
            object_type=model.__name__,
            object_id=object_id,
            outcome="denied",
            actor=viewer,
        )
        db.session.commit()
        abort(404)
    return obj


def organization_scope(user: User) -> sa.ColumnElement[bool]:
    """SQL condition on ``Organization``: the organizations ``user`` may see.

    The list-and-query counterpart of :func:`can_access_organization`; every scoped query
    (queues, dashboards, exports) filters with it.
    """
    if user.role is Role.ADMIN:
        return sa.true()
    if user.role is Role.OPERATOR:
        return Organization.id == user.organization_id
    if user.role is Role.COORDINATOR:
        return coordinator_scope(user)
    return sa.false()


def visible_organizations(user: User) -> sa.Select[Organization]:
    """A query of the organizations ``user`` may see (for lists and queues)."""
    return sa.select(Organization).where(organization_scope(user))


def coordinator_scope(user: User) -> sa.ColumnElement[bool]:
    """SQL condition: the organization lies in one of the coordinator's jurisdictions.

    The jurisdictions are read first and written into the condition as plain values
    (``state IN ('TX')``): the planner then estimates the scope well and uses the state index,
    where a subquery made it scan every assessment in the country (80 ms → 5 ms at 1/10 of the
    national dataset).
    """
    statewide = sorted({j.state for j in user.jurisdictions if j.is_statewide})
    by_county = sorted(
        {
            (j.state, county)
            for j in user.jurisdictions
            if not j.is_statewide
            for county in j.counties
        }
    )
    conditions = []
    if statewide:
        conditions.append(Organization.state.in_(statewide))
    if by_county:
        conditions.append(sa.tuple_(Organization.state, Organization.county).in_(by_county))
    return sa.or_(*conditions) if conditions else sa.false()
