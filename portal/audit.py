"""Write audit events. Callers pass ids and labels, never answer text, passwords or tokens."""

from __future__ import annotations

import re
from typing import Any

from flask import has_request_context
from flask_login import current_user

from portal.client import client_ip
from portal.extensions import db
from portal.models import AuditEvent
from portal.ops.requests import request_id

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_MAX_VALUE = 200


def _clean(value: Any) -> Any:
    """Neutralise control characters (no forged log lines) and bound the size."""
    if isinstance(value, str):
        return _CONTROL.sub(" ", value)[:_MAX_VALUE]
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_clean(v) for v in list(value)[:50]]
    return _clean(str(value))


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: int | str | None = None,
    organization_id: int | None = None,
    outcome: str = "ok",
    actor: Any = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the request's work)."""
    user = actor
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        actor_id=getattr(user, "id", None),
        actor_email=_clean(getattr(user, "email", "") or ""),
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        organization_id=organization_id,
        ip_address=client_ip(),
        request_id=request_id() or "",
        outcome=outcome,
        details={key: _clean(val) for key, val in details.items()},
    )
    db.session.add(event)
    return event


def record_for(obj: Any, action: str, *, actor: Any = None, **details: Any) -> AuditEvent:
    """An event about ``obj`` (an assessment, a tool request, an organization, …): its type, id
    and organization come from the object itself."""
    kind = type(obj).__name__
    return record(
        action,
        object_type=kind,
        object_id=obj.id,
        organization_id=obj.id if kind == "Organization" else getattr(obj, "organization_id", None),
        actor=actor,
        **details,
    )
