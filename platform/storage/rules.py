"""Pure upload rules (no I/O): sniffing the real type, keys, file names and signed download tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Final

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
WEBP: Final = "image/webp"
PDF: Final = "application/pdf"

IMAGE_TYPES: Final = frozenset({JPEG, PNG, WEBP})
IMAGE_OR_PDF: Final = frozenset({JPEG, PNG, WEBP, PDF})
EXTENSIONS: Final = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
TYPES_BY_EXTENSION: Final = {ext: t for t, ext in EXTENSIONS.items()}

_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}/[0-9a-f]{32}\.(jpg|png|webp|pdf)$")


def sniff(data: bytes) -> str | None:
    """The type the bytes really are (by their magic numbers), or None; the declared type and the
    file name are never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def looks_like_complete_pdf(data: bytes) -> bool:
    """A PDF header and an end-of-file marker near the end (a truncated upload has none)."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def check_purpose(purpose: str) -> str:
    if not _PURPOSE.match(purpose):
        raise ValueError(f"not a storage purpose (lowercase letters, digits, - and _): {purpose!r}")
    return purpose


def new_key(purpose: str, content_type: str) -> str:
    """A fresh, unguessable key: ``<purpose>/<uuid4 hex><ext>`` (122 random bits)."""
    return f"{check_purpose(purpose)}/{uuid.uuid4().hex}{EXTENSIONS[content_type]}"


def is_valid_key(key: str) -> bool:
    """Keys are only ever ones :func:`new_key` made: no path separators beyond the one, no dots."""
    return bool(_KEY.match(key))


def content_type_of(key: str) -> str:
    return TYPES_BY_EXTENSION["." + key.rsplit(".", 1)[1]]


def clean_filename(name: str, *, fallback: str = "file") -> str:
    """The last path component of an uploaded name, without control characters, at most 120 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = name.strip().strip(".") or fallback
    return name[:120]


def download_name(name: str, content_type: str) -> str:
    """``name`` with the extension of what the file really is."""
    cleaned = clean_filename(name)
    stem = cleaned.rsplit(".", 1)[0] if "." in cleaned else cleaned
    return f"{stem or 'file'}{EXTENSIONS[content_type]}"


# --- signed download tokens ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DownloadGrant:
    key: str
    expires_at: int  # unix seconds
    filename: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(secret: str) -> bytes:
    # A key of its own, so that a download token can never stand in for any other signature.
    return hmac.new(secret.encode(), b"pawpay.storage.download-url.v1", hashlib.sha256).digest()


def sign_grant(grant: DownloadGrant, key: bytes) -> str:
    payload = json.dumps({"k": grant.key, "e": grant.expires_at, "n": grant.filename},
                         separators=(",", ":"), ensure_ascii=False).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def open_grant(token: str, key: bytes, *, now: int) -> DownloadGrant | None:
    """The grant in ``token``, or None if it is malformed, tampered with or expired."""
    payload_text, _, mac_text = token.partition(".")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
        return None
    try:
        fields = json.loads(payload)
        grant = DownloadGrant(str(fields["k"]), int(fields["e"]), fields["n"] if fields["n"] is None
                              else str(fields["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    if grant.expires_at < now or not is_valid_key(grant.key):
        return None
    return grant
