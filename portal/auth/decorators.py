"""View decorators for roles. Object-level checks live in portal.access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth import second_factor
from portal.auth.redirects import safe_next_path
from portal.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Signed in and holding one of ``roles``; anyone else gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def step_up_required(view: F) -> F:
    """A sensitive action: the person must have proved who they are within the last minutes
    (second_factor.STEP_UP_FOR); else they confirm it first and come back. A form sent after
    that time is not carried out: they confirm, then send it again."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if second_factor.recently_proved(current_user):
            return view(*args, **kwargs)
        if request.method == "GET":
            back = request.full_path.rstrip("?")
        else:
            flash(_("For your security, confirm it is you, then do it again."), "warning")
            came_from = urlsplit(request.referrer or "")
            same_site = came_from.netloc == request.host
            path = came_from.path + (f"?{came_from.query}" if came_from.query else "")
            back = (safe_next_path(path) if same_site else None) or url_for("main.home")
        return redirect(url_for("auth.confirm_identity", next=back))

    return wrapped  # type: ignore[return-value]
