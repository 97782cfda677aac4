"""Password hashing with argon2id.

Production uses argon2-cffi's defaults, which follow RFC 9106's recommended low-memory profile
(3 passes, 64 MiB, 4 lanes: about 0.2–0.7 s a hash on the build machines). The test suite
creates hundreds of accounts and turns on a cheap profile with ``PASSWORD_HASH_FOR_TESTS``;
:func:`portal.config.check_production_config` refuses that setting in production, and a test
checks that production hashes with the defaults.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

PRODUCTION = PasswordHasher()
# Still argon2id and still verified the same way; only the cost differs (~1 ms a hash).
FOR_TESTS = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hasher() -> PasswordHasher:
    """The hasher this app uses: the production profile unless a test app asked otherwise."""
    if has_app_context() and current_app.config.get("PASSWORD_HASH_FOR_TESTS"):
        return FOR_TESTS
    return PRODUCTION


@functools.cache
def _dummy_hash(chosen: PasswordHasher) -> str:
    # Verifying against this keeps a login for an unknown email as slow as for a known one,
    # so response time does not reveal which emails have accounts.
    return chosen.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    chosen = hasher()
    try:
        return (
            chosen.verify(password_hash or _dummy_hash(chosen), password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
