"""Passkeys and security keys (WebAuthn) as a second factor, with py_webauthn (Duo Labs'
maintained library: it checks the challenge, origin, relying-party id, signature and counter).

The relying-party id and origin come from ``PORTAL_BASE_URL`` (never from the request's Host
header). Each ceremony's challenge is random, kept in the browser's signed session for
:data:`CHALLENGE_FOR` and used once. User verification is preferred, not required (a security
key without a PIN is still a second factor after the password). A credential is stored with its
id, public key and signature counter; an assertion whose counter does not move forward (a
cloned key) is refused. Passwordless sign-in (a discoverable passkey instead of the password) is
not offered: the password stays the first factor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal import audit
from portal.auth import second_factor, throttle
from portal.auth.second_factor import SecondFactorError
from portal.extensions import db
from portal.mail import notices
from portal.models import SecondFactor, UsedChallenge, User, utcnow

CHALLENGE_FOR = 300  # seconds a ceremony may take
_CHALLENGE = "passkey_challenge"
STALE = _l("That took too long or the page was opened twice. Try again from this page.")
REFUSED = _l(
    "Your passkey or security key was not accepted. Try again, or use your authenticator app "
    "or a recovery code."
)


def relying_party() -> tuple[str, str]:
    """(relying-party id, origin) of this portal, from PORTAL_BASE_URL."""
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    return base.hostname or "localhost", f"{base.scheme}://{base.netloc}"


def _user_handle(user: User) -> bytes:
    """A stable handle for the person in their authenticators: no name, no address."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"webauthn-user:{user.id}".encode(), hashlib.sha256).digest()[:32]


def _keys_of(user: User) -> list[SecondFactor]:
    return [f for f in second_factor.confirmed_factors(user) if f.kind == "webauthn"]


def _remember(challenge: bytes, purpose: str, user: User) -> None:
    session[_CHALLENGE] = {
        "challenge": bytes_to_base64url(challenge),
        "purpose": purpose,
        "user": user.id,
        "at": time.time(),
    }


def _take_challenge(purpose: str, user: User) -> bytes:
    """The challenge of this ceremony, once; refused when missing, stale, someone else's, or
    answered before (a copy of an earlier session cookie offers it again: used_challenges)."""
    held: Any = session.pop(_CHALLENGE, None)
    if (
        not isinstance(held, dict)
        or held.get("purpose") != purpose
        or held.get("user") != user.id
        or time.time() - float(held.get("at", 0)) > CHALLENGE_FOR
    ):
        raise SecondFactorError(STALE)
    challenge = base64url_to_bytes(str(held["challenge"]))
    digest = hashlib.sha256(challenge).hexdigest()
    now = utcnow()
    # Older than any live challenge: gone (the table holds a few minutes of sign-ins).
    db.session.execute(
        sa.delete(UsedChallenge).where(
            UsedChallenge.used_at < now - timedelta(seconds=2 * CHALLENGE_FOR)
        )
    )
    # INSERT … ON CONFLICT DO NOTHING (both databases): one row, or none for a challenge
    # answered before — however many copies arrive at once.
    insert = (
        postgresql.insert(UsedChallenge)
        if db.session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(UsedChallenge)
    )
    taken = db.session.scalar(
        insert.values(challenge_hash=digest, used_at=now)
        .on_conflict_do_nothing()
        .returning(UsedChallenge.challenge_hash)
    )
    if taken is None:
        raise SecondFactorError(STALE)
    return challenge


def registration_options(user: User) -> str:
    """Options for navigator.credentials.create(), as JSON."""
    rp_id, _unused = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Readiness Portal",
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=f.credential_id)
            for f in _keys_of(user)
            if f.credential_id
        ],
    )
    _remember(options.challenge, "register", user)
    return str(options_to_json(options))


def register(user: User, credential: str, name: str) -> list[str] | None:
    """Add the passkey the browser made. Returns new recovery codes when it is the person's
    first factor. Raises :class:`SecondFactorError`."""
    challenge = _take_challenge("register", user)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        second_factor.refused(user, "passkey registration", error)
        raise SecondFactorError(
            _(
                "Your browser's answer could not be checked, so the passkey was not added. "
                "Try again."
            )
        ) from None
    if db.session.scalar(
        sa.select(SecondFactor.id).where(SecondFactor.credential_id == verified.credential_id)
    ):
        raise SecondFactorError(_("That passkey or security key is already added."))
    first = not second_factor.has_factor(user)
    now = utcnow()
    label = name.strip()[:60] or "Passkey"
    db.session.add(
        SecondFactor(
            user_id=user.id,
            kind="webauthn",
            name=label,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            confirmed_at=now,
            last_used_at=now,
        )
    )
    db.session.flush()
    audit.record("auth.second_factor_added", object_type="User", object_id=user.id, kind="webauthn")
    notices.second_factor_changed(user, added=label)
    codes = (
        second_factor.new_recovery_codes(user)
        if first or not second_factor.recovery_codes_left(user)
        else None
    )
    second_factor.mark_proved()  # adding it needed a step-up already
    return codes


def has_passkey(user: User) -> bool:
    return bool(_keys_of(user))


def authentication_options(user: User, purpose: str = "sign_in") -> str:
    """Options for navigator.credentials.get() for the person signing in (or confirming who
    they are: ``purpose`` "step_up"), as JSON."""
    rp_id, _unused = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=f.credential_id)
            for f in _keys_of(user)
            if f.credential_id
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(options.challenge, purpose, user)
    return str(options_to_json(options))


def verify(
    user: User,
    credential: str,
    address: str,
    purpose: str = "sign_in",
    attempt: throttle.Attempt | None = None,
) -> str:
    """Check the browser's assertion for ``user``: "webauthn", or raises
    :class:`SecondFactorThrottled` / :class:`SecondFactorError` (audited). ``attempt``: admitted
    already (second_factor.admit)."""
    attempt = attempt or second_factor.admit(user.id, address)
    if user.second_factor_failures >= second_factor.MAX_FAILURES:
        throttle.settle(attempt, succeeded=False)
        raise SecondFactorError(second_factor.LOCKED)
    ok = False
    try:
        challenge = _take_challenge(purpose, user)
        ok = _check_assertion(user, credential, challenge)
    finally:
        throttle.settle(attempt, succeeded=ok)
        second_factor.counted(user, ok)
    return "webauthn"


def _check_assertion(user: User, credential: str, challenge: bytes) -> bool:
    rp_id, origin = relying_party()
    try:
        raw_id = base64url_to_bytes(str(json.loads(credential)["rawId"]))
    except (ValueError, KeyError, TypeError) as error:
        second_factor.refused(user, "passkey sign-in", error)
        raise SecondFactorError(REFUSED) from None
    factor = db.session.scalar(
        sa.select(SecondFactor).where(
            SecondFactor.user_id == user.id,
            SecondFactor.kind == "webauthn",
            SecondFactor.credential_id == raw_id,
            SecondFactor.confirmed_at.is_not(None),
        )
    )
    if factor is None or factor.public_key is None:
        second_factor.refused(user, "passkey sign-in", "an unknown credential")
        raise SecondFactorError(REFUSED)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=factor.public_key,
            credential_current_sign_count=factor.sign_count or 0,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        second_factor.refused(user, "passkey sign-in", error)
        raise SecondFactorError(REFUSED) from None
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = utcnow()
    return True
