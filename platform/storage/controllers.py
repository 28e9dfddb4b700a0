"""``/files/{token}``: serves a stored file to whoever holds a valid, unexpired signed link."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response, get
from litestar.params import FromPath

from pawpay.platform.storage import rules, services

INLINE_TYPES = rules.IMAGE_OR_PDF


def _disposition(filename: str | None, content_type: str) -> str:
    kind = "inline" if content_type in INLINE_TYPES else "attachment"
    if not filename:
        return kind
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@get("/files/{token:str}", opt={"auth": "public"}, include_in_schema=False, name="storage:download")
async def download(token: FromPath[str]) -> Response[bytes]:
    """The file behind a link made by :func:`services.download_url` (404 when tampered with or expired)."""
    grant = services.open_download_token(token)
    data = await services.read_file(grant.key)
    content_type = rules.content_type_of(grant.key)
    headers = {
        "Content-Disposition": _disposition(grant.filename, content_type),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if content_type in rules.IMAGE_TYPES:
        # An image opened on its own needs nothing else. PDFs get no CSP: browsers' built-in PDF
        # viewers are blocked by a restrictive one, and they do not run a PDF's scripts in our origin.
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return Response(data, media_type=content_type, headers=headers)
