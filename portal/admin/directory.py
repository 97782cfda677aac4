"""The admin's directory of organizations and their operators: searched and paged in SQL.

At national size there are ~60,000 of each; the administration page used to list them all
(3.5 MB of HTML and 0.65 s at one tenth of that size), so it now shows one page of whatever
matches the admin's search. Staff (coordinators and admins) are few and always listed in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm

from portal.extensions import db
from portal.models import Organization, Role, User, name_key

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    number: int  # 1-based, clamped to the pages there are

    @property
    def pages(self) -> int:
        return _page_count(self.total)


def _page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def staff() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role != Role.OPERATOR)
            .options(orm.selectinload(User.jurisdictions))
            .order_by(User.role, User.email)
        )
    )


def organizations(text: str, state: str, page: int) -> Page[Organization]:
    """Organizations whose name contains ``text`` (any case and spacing), in ``state`` if given."""
    query = sa.select(Organization)
    if text:
        query = query.where(Organization.name_key.contains(name_key(text), autoescape=True))
    if state:
        query = query.where(Organization.state == state)
    return _page(
        query.order_by(Organization.state, Organization.name_key, Organization.id),
        page,
        orm.selectinload(Organization.sector_links),
    )


def operators(text: str, state: str, page: int) -> Page[User]:
    """Operators whose email, name or organization's name contains ``text``."""
    query = (
        sa.select(User)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.role == Role.OPERATOR)
    )
    if text:
        query = query.where(
            sa.or_(
                # lower() on both sides (not casefold): what SQL's lower() can match.
                sa.func.lower(User.email).contains(text.lower(), autoescape=True),
                sa.func.lower(User.full_name).contains(text.lower(), autoescape=True),
                Organization.name_key.contains(name_key(text), autoescape=True),
            )
        )
    if state:
        query = query.where(Organization.state == state)
    return _page(query.order_by(User.email), page, orm.contains_eager(User.organization))


def _page(query: sa.Select[Any], number: int, loader: Any) -> Page[Any]:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    total = int(total or 0)
    number = min(max(number, 1), _page_count(total))
    rows = db.session.scalars(
        query.options(loader).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(rows), total, number)
