"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pawpay.platform.errors import ValidationFailed

_hasher = PasswordHasher()
MIN_LENGTH = 10
# Verified against when the e-mail is unknown, so that timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("pawpay-dummy-password")


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"password must be at least {MIN_LENGTH} characters", field="password", min_length=MIN_LENGTH
        )
    if password.isdigit() or password.isalpha():
        raise ValidationFailed("password must mix letters with digits or symbols", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
