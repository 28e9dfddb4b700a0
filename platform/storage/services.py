"""Uploaded files: checked, re-encoded, stored under an unguessable key, served by signed link.

Usage::

    from pawpay.platform.storage import services as storage

    stored = await storage.store_upload(data, filename=upload.filename, purpose="licences")
    # keep stored.key (and stored.content_type, sha256, ...) on your own row
    url = storage.download_url(stored.key, filename=stored.original_name)   # "/files/<token>", 5 minutes

Nothing about the upload is trusted: the type is sniffed from the bytes, images are decoded and
re-encoded with Pillow (which drops EXIF, GPS and any trailing payload, and bounds the pixel count),
PDFs must at least look complete. Keys are ``<purpose>/<uuid4 hex>.<ext>``: knowing one file's key
tells nothing about another's. Files belong to no tenant: access control is whoever may render
the link (the caller decides), and the link expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any, Final

from pawpay.platform.clock import utcnow
from pawpay.platform.storage import rules
from pawpay.platform.storage.backends import StorageBackend, backend_from_settings
from pawpay.platform.storage.errors import FileNotFound, StorageErrorCode, upload_error
from pawpay.platform.storage.rules import IMAGE_OR_PDF, IMAGE_TYPES, JPEG, PDF, PNG, WEBP

__all__ = ["IMAGE_OR_PDF", "IMAGE_TYPES", "StoredFile", "delete_file", "download_url", "read_file", "store_upload",
           "use_backend"]

# Larger images are refused rather than decoded (a decompression bomb is a few KB on the wire).
MAX_PIXELS: Final = 40_000_000
# Re-encoded images are scaled down to fit this box (phone photos of licences are plenty at this size).
MAX_SIDE: Final = 4096
JPEG_QUALITY: Final = 88
DEFAULT_TTL_SECONDS: Final = 300


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    sha256: str
    original_name: str
    width: int | None
    height: int | None


# The process-wide backend, built from settings on first use (tests install their own).
_installed: dict[str, StorageBackend] = {}


def get_backend() -> StorageBackend:
    """The configured backend (``PAWPAY_STORAGE_URL``), built once per process."""
    if "backend" not in _installed:
        from pawpay.platform.settings import get_settings

        _installed["backend"] = backend_from_settings(get_settings())
    return _installed["backend"]


def use_backend(backend: StorageBackend | None) -> StorageBackend | None:
    """Install ``backend`` process-wide (None: rebuild from settings); returns the previous one."""
    previous = _installed.pop("backend", None)
    if backend is not None:
        _installed["backend"] = backend
    return previous


_PIL_FORMATS: Final = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


def _encode(image: Any, content_type: str) -> bytes:
    """``image`` in ``content_type``, written fresh: no EXIF, no comments, no trailing bytes."""
    out = io.BytesIO()
    if content_type == JPEG:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif content_type == PNG:
        png = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGBA")
        png.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    return out.getvalue()


def _reencode(data: bytes, content_type: str) -> tuple[bytes, int, int]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    formats = [_PIL_FORMATS[content_type]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise upload_error(StorageErrorCode.UPLOAD_TOO_LARGE,
                                       f"the image has more than {MAX_PIXELS} pixels", max_pixels=MAX_PIXELS)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=formats) as opened:
                opened.load()
                upright = ImageOps.exif_transpose(opened)  # keep the photo upright once EXIF is gone
                upright.thumbnail((MAX_SIDE, MAX_SIDE))
                return _encode(upright, content_type), upright.width, upright.height
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise upload_error(StorageErrorCode.UPLOAD_TOO_LARGE, "the image has too many pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise upload_error(StorageErrorCode.UPLOAD_NOT_AN_IMAGE, "the file is not a readable image") from None


async def store_upload(data: bytes, *, filename: str, purpose: str, allowed: frozenset[str] = IMAGE_OR_PDF,
                       max_bytes: int | None = None) -> StoredFile:
    """Check, clean and store one uploaded file.

    Args:
        data: the uploaded bytes.
        filename: the name the browser sent (kept, cleaned, for the download name only).
        purpose: a short lowercase label, the key's folder (e.g. ``"licences"``).
        allowed: the content types accepted (:data:`IMAGE_TYPES`, :data:`IMAGE_OR_PDF`).
        max_bytes: the size limit; default ``PAWPAY_UPLOAD_MAX_BYTES`` (10 MB).

    Raises:
        ValidationFailed: ``UPLOAD_EMPTY``, ``UPLOAD_TOO_LARGE``, ``UPLOAD_TYPE_NOT_ALLOWED`` or
            ``UPLOAD_NOT_AN_IMAGE``, always with ``field="file"``.
    """
    rules.check_purpose(purpose)
    if max_bytes is None:
        from pawpay.platform.settings import get_settings

        max_bytes = get_settings().upload_max_bytes
    if not data:
        raise upload_error(StorageErrorCode.UPLOAD_EMPTY, "the file is empty")
    if len(data) > max_bytes:
        raise upload_error(StorageErrorCode.UPLOAD_TOO_LARGE, f"the file is larger than {max_bytes} bytes",
                           max_bytes=max_bytes)
    content_type = rules.sniff(data)
    if content_type is None or content_type not in allowed:
        expected = "an image (JPEG, PNG or WebP)" if allowed <= IMAGE_TYPES else "a JPEG, PNG, WebP image or a PDF"
        raise upload_error(StorageErrorCode.UPLOAD_TYPE_NOT_ALLOWED, f"the file must be {expected}",
                           allowed=sorted(allowed))
    width = height = None
    if content_type in IMAGE_TYPES:
        data, width, height = await asyncio.to_thread(_reencode, data, content_type)
    elif content_type == PDF and not rules.looks_like_complete_pdf(data):
        raise upload_error(StorageErrorCode.UPLOAD_TYPE_NOT_ALLOWED, "the PDF is damaged or incomplete",
                           allowed=sorted(allowed))
    key = rules.new_key(purpose, content_type)
    await get_backend().put(key, data, content_type)
    return StoredFile(key=key, content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                      original_name=rules.download_name(filename, content_type), width=width, height=height)


async def read_file(key: str) -> bytes:
    """The stored bytes; :class:`FileNotFound` for an unknown (or malformed) key."""
    if not rules.is_valid_key(key):
        raise FileNotFound()
    return await get_backend().get(key)


async def delete_file(key: str) -> None:
    """Remove a stored file (nothing happens if it is already gone)."""
    if not rules.is_valid_key(key):
        raise FileNotFound()
    await get_backend().delete(key)


def _signing_key() -> bytes:
    from pawpay.platform.settings import get_settings

    return rules.signing_key(get_settings().secret())


def download_url(key: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, filename: str | None = None) -> str:
    """A link ``/files/<token>`` to the file, valid for ``ttl_seconds`` (HMAC-signed; tampered
    with or expired, it answers 404). Whoever holds the link can download: render it only for
    those who may see the file."""
    if not rules.is_valid_key(key):
        raise FileNotFound()
    if ttl_seconds < 1:
        raise ValueError("ttl_seconds must be positive")
    expires = int(utcnow().timestamp()) + ttl_seconds
    grant = rules.DownloadGrant(key, expires, rules.clean_filename(filename) if filename else None)
    return f"/files/{rules.sign_grant(grant, _signing_key())}"


def open_download_token(token: str) -> rules.DownloadGrant:
    """The grant behind a download link; :class:`FileNotFound` if tampered with or expired."""
    grant = rules.open_grant(token, _signing_key(), now=int(utcnow().timestamp()))
    if grant is None:
        raise FileNotFound()
    return grant
