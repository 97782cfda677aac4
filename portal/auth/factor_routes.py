"""The second step of signing in, and a person's second factors (portal/auth/second_factor.py):
add an authenticator app, remove a factor, make new recovery codes; an organization's choice to
require them. URL rules on the auth blueprint."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.auth import passkeys, second_factor
from portal.auth.decorators import step_up_required
from portal.auth.forms import (
    AddAppForm,
    AddPasskeyForm,
    PasskeyForm,
    PasswordAgainForm,
    SecondFactorCodeForm,
)
from portal.auth.redirects import safe_next_path
from portal.auth.routes import bp
from portal.auth.throttle import Attempt
from portal.client import client_ip
from portal.extensions import db
from portal.models import User

NOT_YOURS = _l("That is not your password.")  # what the form says for a wrong one


@bp.route("/login/code", methods=["GET", "POST"])
def second_step() -> ResponseReturnValue:
    held = second_factor.pending()
    if held is None:
        flash(_("Sign in again: the page waited too long for a code."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorCodeForm()
    if form.validate_on_submit():

        def check(user: User, attempt: Attempt) -> str:
            return second_factor.verify(user, form.code.data or "", client_ip(), attempt)

        def refused(message: str) -> None:
            form.code.errors = [message]

        return _sign_in_with(held, check, form, refused)
    return _second_step_page(form, _held_user()), 400 if form.is_submitted() else 200


def _sign_in_with(
    held: tuple[int, str],
    check: Callable[[User, Attempt], str],
    form: SecondFactorCodeForm,
    refused: Callable[[str], None],
) -> ResponseReturnValue:
    """The end of a held sign-in, by code or by key: counted first, before anything is read
    (second_factor.admit says why), then ``check``ed; signed in, or the page again with why."""
    try:
        attempt = second_factor.admit(held[0], client_ip())
    except second_factor.SecondFactorThrottled as throttled:
        db.session.commit()
        form.form_errors.append(str(throttled))
        return _second_step_page(form, _held_user()), 429
    user = _held_user()
    try:
        used = check(user, attempt)
    except second_factor.SecondFactorError as refusal:
        db.session.commit()  # the refusal's audit row and throttle count
        refused(str(refusal))
        return _second_step_page(form, user), 400
    second_factor.complete_sign_in(user, used)
    db.session.commit()
    if used == "recovery_code":
        flash(
            _(
                "You signed in with a recovery code, which now no longer works. If you lost your "
                "phone, add a new authenticator app and make new recovery codes."
            ),
            "warning",
        )
        return redirect(url_for("auth.second_factors"))
    return redirect(safe_next_path(held[1]) or url_for("main.home"))


def _held_user() -> User:
    held = second_factor.pending_user()
    if held is None:  # deactivated meanwhile: as if the wait ran out
        abort(redirect(url_for("auth.login")))
    return held[0]


def _second_step_page(form: SecondFactorCodeForm, user: User) -> str:
    return render_template(
        "auth/second_step.html",
        form=form,
        passkey_form=PasskeyForm(),
        has_passkey=passkeys.has_passkey(user),
    )


@bp.post("/login/passkey/options")
def passkey_sign_in_options() -> ResponseReturnValue:
    held = second_factor.pending_user()
    if held is None:
        return jsonify(error=_("Sign in again: the page waited too long.")), 409
    response = current_app.response_class(
        passkeys.authentication_options(held[0]), mimetype="application/json"
    )
    return response


@bp.post("/login/passkey")
def passkey_sign_in() -> ResponseReturnValue:
    held = second_factor.pending()
    if held is None:
        flash(_("Sign in again: the page waited too long for your key."), "info")
        return redirect(url_for("auth.login"))
    form = PasskeyForm()
    code_form = SecondFactorCodeForm(formdata=None)
    if not form.validate_on_submit():
        code_form.form_errors.append(_("Your browser sent no answer from a passkey. Try again."))
        return _second_step_page(code_form, _held_user()), 400

    def check(user: User, attempt: Attempt) -> str:
        return passkeys.verify(user, form.credential.data or "", client_ip(), attempt=attempt)

    return _sign_in_with(held, check, code_form, code_form.form_errors.append)


@bp.get("/account/second-factor")
@login_required
def second_factors() -> str:
    return render_template(
        "auth/second_factors.html",
        factors=second_factor.confirmed_factors(current_user),
        codes_left=second_factor.recovery_codes_left(current_user),
        required=second_factor.required(current_user),
        form=PasswordAgainForm(),
    )


@bp.route("/account/second-factor/app", methods=["GET", "POST"])
@login_required
@step_up_required
def add_app() -> ResponseReturnValue:
    form = AddAppForm()
    if request.method == "POST":
        # The secret shown on the page the form came from (a new one is made only by a GET).
        factor = second_factor.pending_enrolment(
            current_user, request.form.get("factor", type=int) or 0
        )
        if factor is None:
            flash(_("That QR code has expired: here is a new one."), "warning")
            return redirect(url_for("auth.add_app"))
        if form.validate_on_submit():
            try:
                codes = second_factor.confirm_app(
                    current_user, factor.id, form.name.data or "", form.code.data or ""
                )
            except second_factor.SecondFactorError as refused:
                db.session.commit()  # the refusal's audit row
                form.code.errors = [str(refused)]
            else:
                db.session.commit()
                if codes:
                    return render_template(
                        "auth/recovery_codes.html", codes=codes, first=True, added=form.name.data
                    )
                flash(_("“%(name)s” is added as a second factor.", name=form.name.data), "success")
                return redirect(url_for("auth.second_factors"))
        enrolment = second_factor.enrolment_of(current_user, factor)
        return render_template("auth/add_app.html", form=form, enrolment=enrolment), 400
    enrolment = second_factor.start_app_enrolment(current_user)
    db.session.commit()
    return render_template("auth/add_app.html", form=form, enrolment=enrolment)


@bp.post("/account/second-factor/passkey/options")
@login_required
@step_up_required
def passkey_options() -> ResponseReturnValue:
    return current_app.response_class(
        passkeys.registration_options(current_user), mimetype="application/json"
    )


@bp.route("/account/second-factor/passkey", methods=["GET", "POST"])
@login_required
@step_up_required
def add_passkey() -> ResponseReturnValue:
    form = AddPasskeyForm()
    if form.validate_on_submit():
        try:
            codes = passkeys.register(
                current_user, form.credential.data or "", form.name.data or ""
            )
        except second_factor.SecondFactorError as refused:
            db.session.commit()  # the refusal's audit row
            form.form_errors.append(str(refused))
            return render_template("auth/add_passkey.html", form=form), 400
        db.session.commit()
        if codes:
            return render_template(
                "auth/recovery_codes.html", codes=codes, first=True, added=form.name.data
            )
        flash(_("“%(name)s” is added as a second factor.", name=form.name.data), "success")
        return redirect(url_for("auth.second_factors"))
    return render_template("auth/add_passkey.html", form=form), 400 if form.is_submitted() else 200


def _password_confirmed(form: PasswordAgainForm) -> bool:
    """The password again before a change to how one signs in (throttled and audited like a
    sign-in: a stolen session must not become a password-guessing machine)."""
    if not form.validate_on_submit():
        return False
    try:
        second_factor.confirm_with_password(current_user, form.current.data or "", client_ip())
    except (second_factor.SecondFactorError, second_factor.SecondFactorThrottled) as refused:
        db.session.commit()  # the refusal's audit row and throttle count
        form.current.errors = [str(refused)]
        return False
    return True


@bp.post("/account/second-factor/<int:factor_id>/remove")
@login_required
def remove_factor(factor_id: int) -> ResponseReturnValue:
    form = PasswordAgainForm()
    if not _password_confirmed(form):
        flash(str(form.current.errors[0] if form.current.errors else NOT_YOURS), "error")
        return redirect(url_for("auth.second_factors"))
    try:
        second_factor.remove(current_user, factor_id)
    except second_factor.SecondFactorError as refused:
        db.session.commit()  # the refusal's audit row
        flash(str(refused), "error")
        return redirect(url_for("auth.second_factors"))
    db.session.commit()
    flash(_("The factor is removed."), "success")
    return redirect(url_for("auth.second_factors"))


@bp.post("/account/second-factor/recovery-codes")
@login_required
def new_recovery_codes() -> ResponseReturnValue:
    form = PasswordAgainForm()
    if not _password_confirmed(form) or not second_factor.has_factor(current_user):
        flash(str(form.current.errors[0] if form.current.errors else NOT_YOURS), "error")
        return redirect(url_for("auth.second_factors"))
    codes = second_factor.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, first=False)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
def confirm_identity() -> ResponseReturnValue:
    """Confirm who you are before a sensitive action (decorators.step_up_required): your second
    factor again, or your password if you have none yet; then back where you were going."""
    back = safe_next_path(request.args.get("next")) or url_for("main.home")
    has_factor = second_factor.has_factor(current_user)
    form: SecondFactorCodeForm | PasswordAgainForm = (
        SecondFactorCodeForm() if has_factor else PasswordAgainForm()
    )
    if form.validate_on_submit():
        try:
            if isinstance(form, SecondFactorCodeForm):
                second_factor.step_up(current_user, form.code.data or "", client_ip())
            else:
                second_factor.confirm_with_password(
                    current_user, form.current.data or "", client_ip()
                )
        except (second_factor.SecondFactorThrottled, second_factor.SecondFactorError) as refused:
            return _refused(form, has_factor, refused)
        db.session.commit()
        return redirect(back)
    return _confirm_page(form, has_factor), 400 if form.is_submitted() else 200


def _refused(
    form: SecondFactorCodeForm | PasswordAgainForm, has_factor: bool, refused: Exception
) -> tuple[str, int]:
    """The confirmation page again with why: the counted failure is committed first; a
    throttled person gets 429, a wrong proof 400."""
    db.session.commit()
    form.form_errors.append(str(refused))
    throttled = isinstance(refused, second_factor.SecondFactorThrottled)
    return _confirm_page(form, has_factor), 429 if throttled else 400


def _confirm_page(form: SecondFactorCodeForm | PasswordAgainForm, has_factor: bool) -> str:
    return render_template(
        "auth/confirm_identity.html",
        form=form,
        has_factor=has_factor,
        has_passkey=has_factor and passkeys.has_passkey(current_user),
        passkey_form=PasskeyForm(),
    )


@bp.post("/account/confirm/passkey/options")
@login_required
def step_up_passkey_options() -> ResponseReturnValue:
    return current_app.response_class(
        passkeys.authentication_options(current_user, "step_up"), mimetype="application/json"
    )


@bp.post("/account/confirm/passkey")
@login_required
def step_up_passkey() -> ResponseReturnValue:
    back = safe_next_path(request.args.get("next")) or url_for("main.home")
    form = PasskeyForm()
    code_form = SecondFactorCodeForm(formdata=None)
    if not form.validate_on_submit():
        code_form.form_errors.append(_("Your browser sent no answer from a passkey. Try again."))
        return _confirm_page(code_form, True), 400
    try:
        used = passkeys.verify(current_user, form.credential.data or "", client_ip(), "step_up")
    except (second_factor.SecondFactorThrottled, second_factor.SecondFactorError) as refused:
        return _refused(code_form, True, refused)
    second_factor.proved_again(current_user, used)
    db.session.commit()
    return redirect(back)


def enrolment_gate() -> Response | None:
    """Before any page with data: a person who must have a second factor and has none is sent
    to add one (pages to add it, sign out and the static files stay open)."""
    if not current_user or not current_user.is_authenticated:
        return None
    if request.endpoint in OPEN_WITHOUT_FACTOR or request.endpoint is None:
        return None
    if not second_factor.must_enrol(current_user):
        return None
    flash(
        _("Your account must have a second factor before you can go on: add an authenticator app."),
        "warning",
    )
    return redirect(url_for("auth.add_app"))


OPEN_WITHOUT_FACTOR = {
    "static",
    "auth.add_app",
    "auth.add_passkey",
    "auth.confirm_identity",
    "auth.step_up_passkey",
    "auth.step_up_passkey_options",
    "auth.passkey_options",
    "auth.passkey_sign_in",
    "auth.passkey_sign_in_options",
    "auth.second_factors",
    "auth.logout",
    "auth.login",
    "auth.second_step",
    "auth.change_password",
    "ops.healthz",
    "ops.readyz",
    "metrics.metrics",
}
