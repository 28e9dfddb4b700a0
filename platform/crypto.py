"""Encryption at rest for secrets and personal data (provider credentials, ID numbers, phones).

* ``seal``/``open_sealed``: AES-256-GCM with a random nonce; the associated data binds a value
  to where it belongs (e.g. ``"tenant:<id>:provider:payments"``), so a sealed value copied into
  another store's row does not decrypt there.
* ``blind_index``: a keyed hash (HMAC-SHA256) for equality lookups of encrypted values (find a
  customer by phone number without storing it in clear).

Keys are derived with HKDF from ``PAWPAY_SECRET_KEY``, one per purpose, so the signing secret
never encrypts anything directly. A sealed value is ``v1.<base64url(nonce|ciphertext)>``; the
version prefix leaves room for key rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pawpay.platform.errors import PawPayError

VERSION = "v1"
_NONCE_BYTES = 12


class DecryptionFailed(PawPayError):
    """A sealed value was tampered with, belongs elsewhere, or was sealed with another key."""

    http_status = 500


@cache
def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pawpay", info=purpose.encode()).derive(
        secret.encode()
    )


def _secret() -> str:
    from pawpay.platform.settings import get_settings

    return get_settings().secret()


def seal(plaintext: str, *, context: str, secret: str | None = None) -> str:
    """Encrypt ``plaintext``, bound to ``context`` (associated data, not secret)."""
    key = _derive(secret or _secret(), "seal")
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def open_sealed(sealed: str, *, context: str, secret: str | None = None) -> str:
    """Decrypt what :func:`seal` produced for the same ``context``."""
    version, _, body = sealed.partition(".")
    if version != VERSION or not body:
        raise DecryptionFailed("not a sealed value of a known version")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        plaintext = AESGCM(_derive(secret or _secret(), "seal")).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("the sealed value does not open with this key and context") from exc
    return plaintext.decode()


def blind_index(value: str, *, purpose: str, secret: str | None = None) -> str:
    """A stable keyed hash of ``value`` for lookups; different per ``purpose``."""
    key = _derive(secret or _secret(), f"blind-index:{purpose}")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``13812345678`` → ``138****5678``: for showing personal data in UIs and logs."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]
