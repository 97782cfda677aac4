"""Sign in, sign out, register an organization, accept an invitation."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal import audit, i18n
from portal.auth import second_factor, service, sessions, throttle, tokens
from portal.auth.forms import (
    AcceptInvitationForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    RegistrationForm,
)
from portal.auth.passwords import verify_password
from portal.auth.redirects import safe_next_path
from portal.client import client_ip
from portal.config import KNOWN_LANGUAGES, mail_enabled
from portal.extensions import csrf, db
from portal.mail import preferences
from portal.models import TokenPurpose
from portal.readonly import read_only

bp = Blueprint("auth", __name__)


def _link_invalid(purpose: str) -> tuple[str, int]:
    """The one answer for a link that is unknown, used, expired or replaced: which of these is
    not said (a link's fate is not told to whoever holds it)."""
    return render_template("auth/link_invalid.html", purpose=purpose), 404


GENERIC_LOGIN_ERROR = _l("The email address or password is not right. Check both and try again.")
UNCONFIRMED_HINT = _l(
    "Registered in the last days? First follow the link we emailed you to confirm your address. "
    "Lost it? “Forgot your password?” sends a new link that confirms it too."
)
REGISTER_ANSWER_SECONDS = 0.35


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.email.data or "",
                form.password.data or "",
                client_ip(),
                safe_next_path(request.args.get("next")),
            )
        except service.SecondFactorNeeded:
            db.session.commit()  # the password's audit row; the login starts after the code
            return redirect(url_for("auth.second_step"))
        except service.SignInThrottled as throttled:
            db.session.commit()  # the refusal's audit row and throttle count
            form.form_errors.append(str(throttled))
            return render_template("auth/login.html", form=form), 429
        db.session.commit()
        if user is not None:
            return redirect(safe_next_path(request.args.get("next")) or url_for("main.home"))
        form.form_errors.append(GENERIC_LOGIN_ERROR)
        if mail_enabled(current_app.config):
            form.form_errors.append(UNCONFIRMED_HINT)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    service.sign_out(current_user)
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    if not current_app.config["ALLOW_SELF_REGISTRATION"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegistrationForm()
    form.language.choices = [(code, KNOWN_LANGUAGES.get(code, code)) for code in i18n.offered()]
    if form.language.data is None or request.method == "GET":
        form.language.data = i18n.select_language()
    if form.validate_on_submit():
        # Counted before the slow password hash and before saying whether the email or the
        # name is taken; every attempt counts, a successful one too.
        if throttle.admit(form.email.data or "", client_ip(), throttle.REGISTRATION) is None:
            audit.record("organization.registration_throttled", outcome="denied")
            db.session.commit()
            form.form_errors.append(str(throttle.REGISTRATION.message))
            return render_template("auth/register.html", form=form), 429
        email = service.normalise_email(form.email.data or "")
        started = time.perf_counter()
        try:
            new_organization = dataclasses.replace(
                form.new_organization(), language=form.language.data or i18n.offered()[0]
            )
            user = service.register_organization(
                new_organization,
                form.full_name.data or "",
                email,
                form.password.data or "",
            )
            # Their own choice only when it differs from the organization's (else they follow
            # the organization's, should it change).
            reading = i18n.select_language()
            user.language = reading if reading != new_organization.language else None
        except service.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        except service.AddressTaken as taken:
            # The same page as for a new address (nobody learns who has an account); the
            # owner is told by mail.
            service.tell_owner_of_registration_attempt(taken.user)
            db.session.commit()
            return _registered(email, started)
        else:
            if mail_enabled(current_app.config):
                service.send_email_confirmation(user)
            db.session.commit()
            return _registered(email, started)
    return render_template("auth/register.html", form=form)


def _registered(email: str, started: float) -> Response:
    """What registering answers, whether or not the address had an account — after the same
    time either way (a new organization costs a few more inserts than a notice)."""
    floor = current_app.config.get("REGISTER_ANSWER_SECONDS", REGISTER_ANSWER_SECONDS)
    time.sleep(max(0.0, floor - (time.perf_counter() - started)))
    session["portal_registered_email"] = email
    return redirect(url_for("auth.registered"))


@bp.get("/register/done")
@read_only
def registered() -> str | Response:
    email = session.get("portal_registered_email")
    if not isinstance(email, str) or current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template(
        "auth/registered.html", email=email, mail_on=mail_enabled(current_app.config)
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str:
    invitation = service.find_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404  # type: ignore[return-value]
    if current_user.is_authenticated:
        flash(_("Sign out first to accept an invitation for another account."), "warning")
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
                else _("This invitation has just been used. Sign in instead.")
            )
            form.form_errors.append(message)
        else:
            sessions.start_session(user)
            db.session.commit()
            flash(
                _("Welcome. You have joined %(name)s.", name=invitation.organization.name),
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    """Change the password; every other login of this account is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors.append(_("That is not your current password."))
            return render_template("auth/change_password.html", form=form), 400
        service.set_password(current_user._get_current_object(), form.password.data or "")
        db.session.commit()
        flash(
            _("Your password is changed. Any other browser signed in as you has been signed out."),
            "success",
        )
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), (400 if form.errors else 200)


# --- mail-based flows: reset, confirm, change address, notices ---------------------------------


RESET_ANSWER_SECONDS = 0.25


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Response | str:
    """Ask for a reset link. The answer is the same whether or not the address has an account,
    and whether or not the request was throttled."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.perf_counter()
        email = service.normalise_email(form.email.data or "")
        attempt, refused_by = throttle.admit_or_refusal(email, client_ip(), throttle.PASSWORD_RESET)
        if attempt is not None:
            service.request_password_reset(email)
        else:
            # For admins (Administration > Audit log): which limit refused it, and for which
            # account — so a whole office behind one address losing resets shows.
            service.record_refused_reset(email, refused_by)
        db.session.commit()
        # The same answer, in about the same time, whether or not the address has an account
        # (a message written for a real one costs a few milliseconds more).
        floor = current_app.config.get("RESET_ANSWER_SECONDS", RESET_ANSWER_SECONDS)
        time.sleep(max(0.0, floor - (time.perf_counter() - started)))
        return render_template("auth/reset_sent.html", email=email)
    return render_template("auth/forgot_password.html", form=form)


def _choose_password(token: str, purpose: TokenPurpose, title: str) -> ResponseReturnValue:
    row = tokens.find(token, purpose)
    if row is None:
        return _link_invalid(purpose.value)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(row.user, form.password.data or "", by_token=row)
        except tokens.TokenSpent:
            db.session.rollback()
            return _link_invalid(purpose.value)
        db.session.commit()
        if second_factor.pending() is not None:
            flash(_("Your password is set. Now your second factor, to sign in."), "success")
            return redirect(url_for("auth.second_step"))
        flash(_("Your password is set and you are signed in."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/choose_password.html", form=form, title=title, user=row.user)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    return _choose_password(token, TokenPurpose.RESET_PASSWORD, _("Choose a new password"))


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str) -> ResponseReturnValue:
    return _choose_password(token, TokenPurpose.SET_PASSWORD, _("Choose your password"))


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> ResponseReturnValue:
    row = tokens.find(token, TokenPurpose.CONFIRM_EMAIL)
    if row is None:
        return _link_invalid("confirm_email")
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.confirm_email(row)
        except tokens.TokenSpent:
            db.session.rollback()
            return _link_invalid("confirm_email")
        db.session.commit()
        if not current_user.is_authenticated:
            flash(_("Thank you: your email address is confirmed. Sign in now."), "success")
            return redirect(url_for("auth.login"))
        flash(_("Thank you: your email address is confirmed."), "success")
        return redirect(url_for("main.home"))
    return render_template(
        "auth/confirm.html",
        form=form,
        title=_("Confirm your email address"),
        text=_("Confirm that %(email)s is your address.", email=row.user.email),
        button=_("Confirm my address"),
    )


@bp.post("/email/confirm")
@login_required
def resend_confirmation() -> Response:
    if current_user.email_confirmed_at is None:
        if not mail_enabled(current_app.config):
            flash(_("Mail is off on this portal, so no link can be sent."), "warning")
        elif _admit_mail(current_user.email, throttle.CONFIRMATION_MAIL):
            service.send_email_confirmation(current_user)
            db.session.commit()
            flash(
                _("We sent a new confirmation link to %(email)s.", email=current_user.email), "info"
            )
        else:
            flash(str(throttle.CONFIRMATION_MAIL.message), "warning")
    return redirect(_back_here())


def _admit_mail(account: str, limits: throttle.Limits) -> bool:
    admitted = throttle.admit(account, client_ip(), limits) is not None
    if not admitted:
        audit.record(f"auth.{limits.purpose}_throttled", outcome="denied")
        db.session.commit()
    return admitted


def _back_here() -> str:
    """The page the person came from, if it is one of ours (only its path is used)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        path = safe_next_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
        if path:
            return path
    return url_for("main.home")


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email() -> Response | str | tuple[str, int]:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors.append(_("That is not your password."))
        else:
            try:
                if not _admit_mail(current_user.email, throttle.CONFIRMATION_MAIL):
                    raise service.AccountError(str(throttle.CONFIRMATION_MAIL.message), "email")
                service.request_email_change(current_user, form.email.data or "")
            except service.AccountError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    _(
                        "We sent a link to %(email)s: follow it to confirm the new address. "
                        "Until then you sign in with the old one.",
                        email=form.email.data,
                    ),
                    "info",
                )
                return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form), (400 if form.errors else 200)


@bp.route("/email/change/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str) -> ResponseReturnValue:
    row = tokens.find(token, TokenPurpose.CHANGE_EMAIL)
    if row is None:
        return _link_invalid("change_email")
    form = ConfirmForm()
    if form.validate_on_submit():
        signed_in_here = current_user.is_authenticated and current_user.id == row.user_id
        try:
            service.confirm_email_change(row, signed_in_here=signed_in_here)
        except (service.AccountError, tokens.TokenSpent):
            db.session.rollback()
            return _link_invalid("change_email")
        db.session.commit()
        if signed_in_here:
            flash(_("Your email address is changed: sign in with it from now on."), "success")
            return redirect(url_for("auth.account"))
        flash(_("Your email address is changed. Sign in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/confirm.html",
        form=form,
        title=_("Confirm your new email address"),
        text=_("From now on, sign in with %(email)s.", email=row.new_email),
        button=_("Confirm my new address"),
    )


@bp.get("/account/")
@read_only
@login_required
def account() -> str:
    return render_template(
        "auth/account.html",
        topics=preferences.topics_for(current_user),
        preferences=preferences,
        has_factor=second_factor.has_factor(current_user),
        logins=sessions.active_sessions(current_user),
        is_current=sessions.is_current,
        browser_label=sessions.browser_label,
        form=ConfirmForm(),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """Sign out one of your other logins (a browser left signed in elsewhere)."""
    if ConfirmForm().validate_on_submit():
        ended = service.end_own_session(current_user, session_id)
        db.session.commit()  # the change, or the refusal's audit row
        if ended:
            flash(_("That browser is signed out."), "success")
        else:
            flash(_("That login is not one of yours, or has ended already."), "error")
    return redirect(url_for("auth.account", _anchor="logins"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    if ConfirmForm().validate_on_submit():
        ended = service.end_other_sessions(current_user)
        db.session.commit()
        flash(
            ngettext(
                "Signed out everywhere else (%(num)d other login).",
                "Signed out everywhere else (%(num)d other logins).",
                ended,
            ),
            "success",
        )
    return redirect(url_for("auth.account", _anchor="logins"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications() -> Response | str | tuple[str, int]:
    topics = preferences.topics_for(current_user)
    form = ConfirmForm()  # the CSRF token; the choices are read from the post below
    if form.validate_on_submit():
        chosen = {t.id: request.form.get(t.id, "") for t in topics}
        wrong = [t for t in topics if chosen[t.id] not in t.choices]
        if not wrong:
            preferences.choose_all(current_user, chosen)
            db.session.commit()
            flash(_("Your choices are saved."), "success")
            return redirect(url_for("auth.notifications"))
        form.form_errors.append(_("Choose one option for each kind of message."))
    current = {t.id: preferences.setting(current_user, t.id) for t in topics}
    return render_template("auth/notifications.html", form=form, topics=topics, current=current), (
        400 if form.form_errors else 200
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients post here without a page, and without signing in
def unsubscribe(token: str) -> str | tuple[str, int]:
    found = preferences.read_unsubscribe(token)
    if found is None:
        return _link_invalid("unsubscribe")
    user, topic = found
    if request.method == "POST":
        preferences.unsubscribe(user, topic.id)
        db.session.commit()
        return render_template("auth/unsubscribed.html", topic=topic, done=True)
    return render_template("auth/unsubscribed.html", topic=topic, done=False)
