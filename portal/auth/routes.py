"""Sign in, sign out, register an organization, accept an invitation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal import audit
from portal.auth import service, sessions, throttle
from portal.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    LoginForm,
    RegistrationForm,
)
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.auth.redirects import safe_next_path
from portal.client import client_ip
from portal.extensions import db
from portal.models import User, utcnow

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "The email address or password is not right. Check both and try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = service.normalise_email(form.email.data or "")
        address = client_ip()
        attempt = throttle.admit(email, address)
        if attempt is None:
            audit.record("auth.login_throttled", outcome="denied")
            db.session.commit()
            form.form_errors.append(throttle.MESSAGE)
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(sa.select(User).where(User.email == email))
        password = form.password.data or ""
        # Always run the hash check (on a dummy hash for unknown emails) so that response time
        # does not reveal which emails have accounts, active or not.
        password_ok = verify_password(user.password_hash if user else None, password)
        if user is not None and user.is_active and password_ok:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            sessions.start_session(user)
            throttle.settle(attempt, succeeded=True)
            audit.record("auth.login", object_type="User", object_id=user.id, actor=user)
            db.session.commit()
            return redirect(safe_next_path(request.args.get("next")) or url_for("main.home"))
        # Same message whether the email exists or not: no account enumeration.
        throttle.settle(attempt, succeeded=False)
        audit.record(
            "auth.login_failed",
            object_type="User",
            object_id=user.id if user else None,
            outcome="denied",
            actor=user,
        )
        db.session.commit()
        form.form_errors.append(GENERIC_LOGIN_ERROR)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    audit.record("auth.logout", object_type="User", object_id=current_user.id)
    sessions.end_session(current_user)
    db.session.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    if not current_app.config["ALLOW_SELF_REGISTRATION"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        # Counted before the slow password hash and before saying whether the email or the
        # name is taken; every attempt counts, a successful one too.
        if throttle.admit(form.email.data or "", client_ip(), throttle.REGISTRATION) is None:
            audit.record("organization.registration_throttled", outcome="denied")
            db.session.commit()
            form.form_errors.append(throttle.REGISTRATION.message)
            return render_template("auth/register.html", form=form), 429
        try:
            user = service.register_organization(
                form.new_organization(),
                form.full_name.data or "",
                form.email.data or "",
                form.password.data or "",
            )
        except service.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            audit.record(
                "organization.registered",
                object_type="Organization",
                object_id=user.organization_id,
                organization_id=user.organization_id,
                actor=user,
            )
            sessions.start_session(user)
            db.session.commit()
            flash("Your organization is registered and you are signed in.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str:
    invitation = service.find_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404  # type: ignore[return-value]
    if current_user.is_authenticated:
        flash("Sign out first to accept an invitation for another account.", "warning")
        return redirect(url_for("main.home"))
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                user = service.accept_invitation(
                    invitation, form.full_name.data or "", form.password.data or ""
                )
        except (service.AccountError, IntegrityError) as error:
            message = (
                str(error)
                if isinstance(error, service.AccountError)
                else ("This invitation has just been used. Sign in instead.")
            )
            form.form_errors.append(message)
        else:
            audit.record(
                "invitation.accepted",
                object_type="Invitation",
                object_id=invitation.id,
                organization_id=invitation.organization_id,
                actor=user,
            )
            sessions.start_session(user)
            db.session.commit()
            flash(f"Welcome. You have joined {invitation.organization.name}.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    """Change the password; every other login of this account is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors.append("That is not your current password.")
            return render_template("auth/change_password.html", form=form), 400
        user = current_user._get_current_object()
        user.password_hash = hash_password(form.password.data or "")
        user.password_changed_at = utcnow()
        # Every login ends, this one too; this browser goes on with a new session token (a
        # cookie copied before the change no longer works anywhere).
        sessions.revoke_all_sessions(user)
        sessions.start_session(user)
        audit.record("auth.password_changed", object_type="User", object_id=user.id, actor=user)
        db.session.commit()
        flash(
            "Your password is changed. Any other browser signed in as you has been signed out.",
            "success",
        )
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), (400 if form.errors else 200)
